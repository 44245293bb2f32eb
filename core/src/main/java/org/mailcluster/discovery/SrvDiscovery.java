package org.mailcluster.discovery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.InitialDirContext;
import org.mailcluster.membership.NodeAddress;

/** DNS SRV lookups through JNDI's {@code dns:} provider, shipped with the JDK. */
final class SrvDiscovery implements Discovery {
  private final String serviceName;

  SrvDiscovery(String serviceName) {
    this.serviceName = serviceName;
  }

  @Override
  public List<DiscoveredServer> discover(Duration wait) {
    Hashtable<String, String> env = new Hashtable<>();
    env.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
    env.put("java.naming.provider.url", "dns:");
    long millis = Math.max(1, wait.toMillis());
    env.put("com.sun.jndi.dns.timeout.initial", Long.toString(millis));
    env.put("com.sun.jndi.dns.timeout.retries", "1");
    List<String> records = new ArrayList<>();
    try {
      InitialDirContext ctx = new InitialDirContext(env);
      try {
        Attributes attrs = ctx.getAttributes(serviceName, new String[] {"SRV"});
        Attribute srv = attrs.get("SRV");
        if (srv != null) {
          NamingEnumeration<?> values = srv.getAll();
          while (values.hasMore()) {
            records.add(String.valueOf(values.next()));
          }
        }
      } finally {
        ctx.close();
      }
    } catch (javax.naming.NameNotFoundException e) {
      return List.of();
    } catch (NamingException e) {
      throw Discovery.unavailable(
          "DNS SRV lookup of "
              + serviceName
              + " failed ("
              + e.getMessage()
              + "): check the DNS server, or list the servers statically",
          e);
    }
    return parse(records);
  }

  /** Turns SRV record texts ({@code priority weight port target}) into servers, by priority. */
  static List<DiscoveredServer> parse(List<String> records) {
    List<String[]> parsed = new ArrayList<>();
    for (String r : records) {
      String[] parts = r.trim().split("\\s+");
      if (parts.length != 4) {
        continue;
      }
      try {
        Integer.parseInt(parts[0]);
        Integer.parseInt(parts[2]);
      } catch (NumberFormatException e) {
        continue;
      }
      parsed.add(parts);
    }
    parsed.sort((a, b) -> Integer.compare(Integer.parseInt(a[0]), Integer.parseInt(b[0])));
    List<DiscoveredServer> out = new ArrayList<>();
    for (String[] p : parsed) {
      String host = p[3].endsWith(".") ? p[3].substring(0, p[3].length() - 1) : p[3];
      if (host.isEmpty()) {
        continue; // "." means the service is not offered
      }
      out.add(
          new DiscoveredServer(
              Optional.empty(),
              NodeAddress.of(host, Integer.parseInt(p[2])),
              Optional.empty(),
              "dns-srv"));
    }
    return out;
  }
}
