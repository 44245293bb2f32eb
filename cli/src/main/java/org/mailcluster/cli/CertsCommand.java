package org.mailcluster.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mailcluster.ClusterException;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Creates a cluster CA and node certificates in a directory, or issues more nodes from a CA that is
 * already there.
 */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    header = "Create a cluster certificate authority and node certificates.",
    description = {
      "Create the cluster's certificate authority and one certificate per node.",
      "Writes DIR/ca/ca.pem and DIR/ca/ca-key.pem (keep the key safe: it can issue nodes),",
      "and for each node DIR/<node>/node.pem, node-key.pem and ca.pem: copy that folder to",
      "the node. If DIR/ca already holds a CA, it issues the new nodes from it.",
      "",
      "Example: mailcluster certs --dir /etc/mailcluster mx1=10.0.0.11,mx1.example.com \\",
      "                           mx2=10.0.0.12,mx2.example.com"
    })
final class CertsCommand implements Callable<Integer> {
  @Option(
      names = "--dir",
      required = true,
      paramLabel = "DIR",
      description = "Where to write the CA and the node folders (created if missing).")
  Path dir;

  @Option(
      names = "--cluster",
      defaultValue = "mailcluster",
      paramLabel = "NAME",
      description = "The cluster's name, in the CA's common name (default: ${DEFAULT-VALUE}).")
  String cluster;

  @Option(
      names = "--force",
      description = "Replace node certificates that already exist (the CA is never replaced).")
  boolean force;

  @Parameters(
      paramLabel = "NODE=HOST[,HOST...]",
      arity = "1..*",
      description = {
        "A node id and the host names and IP addresses that peers use to reach it",
        "(they become the certificate's subject alternative names), e.g. mx1=10.0.0.11"
      })
  List<String> nodes;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Map<NodeId, List<String>> wanted = parse(nodes);
    Path caDir = dir.resolve("ca");
    for (NodeId node : wanted.keySet()) {
      Path existing = dir.resolve(node.toString()).resolve("node.pem");
      if (Files.exists(existing) && !force) {
        throw InputException.of(
            existing + " already exists",
            "use another node id, or --force to issue "
                + node
                + " a new certificate (the node must then restart with it)");
      }
    }
    ClusterCertificateAuthority ca;
    if (Files.exists(caDir.resolve("ca.pem"))) {
      try {
        ca = ClusterCertificateAuthority.load(caDir.resolve("ca.pem"), caDir.resolve("ca-key.pem"));
      } catch (ClusterException e) {
        throw new InputException(
            "cannot load the CA in " + caDir + ": " + e.getMessage(),
            "the folder must hold ca.pem and ca-key.pem as this command wrote them",
            e);
      }
      out.println("issuing from the existing CA in " + caDir);
    } else {
      ca = ClusterCertificateAuthority.create(cluster);
      ca.writeTo(caDir);
      out.println("created the cluster CA \"" + cluster + "\" in " + caDir);
      out.println("  ca.pem      give it to every node (it is in each node folder too)");
      out.println("  ca-key.pem  keep it safe and off the nodes: it can issue certificates");
    }
    for (Map.Entry<NodeId, List<String>> e : wanted.entrySet()) {
      Path nodeDir = dir.resolve(e.getKey().toString());
      ca.issue(e.getKey(), e.getValue()).writeTo(nodeDir);
      out.printf(
          "issued %s for %s in %s (node.pem, node-key.pem, ca.pem)%n",
          e.getKey(), String.join(", ", e.getValue()), nodeDir);
    }
    out.flush();
    return 0;
  }

  private static Map<NodeId, List<String>> parse(List<String> specs) {
    Map<NodeId, List<String>> result = new LinkedHashMap<>();
    for (String spec : specs) {
      int eq = spec.indexOf('=');
      if (eq <= 0 || eq == spec.length() - 1) {
        throw InputException.of(
            "\"" + spec + "\" names no host",
            "write each node as NODE=HOST[,HOST...], e.g. mx1=10.0.0.11,mx1.example.com");
      }
      NodeId id;
      try {
        id = NodeId.of(spec.substring(0, eq).strip());
      } catch (IllegalArgumentException e) {
        throw new InputException(e.getMessage(), "a node id is a short name such as mx1", e);
      }
      List<String> hosts = new ArrayList<>();
      for (String host : spec.substring(eq + 1).split(",")) {
        if (!host.isBlank()) {
          hosts.add(host.strip());
        }
      }
      if (hosts.isEmpty() || result.put(id, List.copyOf(hosts)) != null) {
        throw InputException.of(
            hosts.isEmpty() ? "\"" + spec + "\" names no host" : "node " + id + " is named twice",
            "write each node once, as NODE=HOST[,HOST...]");
      }
    }
    return result;
  }
}
