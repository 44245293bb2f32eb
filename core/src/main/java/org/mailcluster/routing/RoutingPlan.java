package org.mailcluster.routing;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailcluster.Role;
import org.mailcluster.membership.Member;

/**
 * The simplest safe routing plan for a third-party load balancer (requirement R11 in
 * docs/REQUIREMENTS.md): SMTP, IMAP and POP3 to any node (the message store is shared and mail
 * changes are relayed); webmail/HTTP and XMPP to the primary only, sticky; remote administration to
 * the primary only. The health endpoint reports the node's role ({@link #role()}), so a balancer
 * can follow the primary.
 *
 * <pre>{@code
 * RoutingPlan plan = cluster.routing();
 * for (RoutingAdvice a : plan.advice()) {
 *   System.out.println(a.protocol() + " -> " + a.nodes() + (a.sticky() ? " (sticky)" : ""));
 * }
 * }</pre>
 *
 * @param node the node that made the plan
 * @param role that node's role, as its health endpoint reports it
 * @param advice one advice per protocol, in {@link Protocol} order
 */
public record RoutingPlan(String node, Role role, List<RoutingAdvice> advice) {
  /** Copies the list. */
  public RoutingPlan {
    requireNonNull(node, "node");
    requireNonNull(role, "role");
    advice = List.copyOf(advice);
  }

  /**
   * Makes the simplest safe plan for {@code members}, as seen from {@code node}.
   *
   * @param node the node making the plan
   * @param role its role
   * @param members the registered servers
   */
  public static RoutingPlan simplest(String node, Role role, List<Member> members) {
    List<String> all = new ArrayList<>();
    Optional<String> primary = Optional.empty();
    for (Member m : members) {
      if (m.role() == Role.PRIMARY) {
        primary = Optional.of(m.id().value());
        all.add(0, m.id().value());
      } else {
        all.add(m.id().value());
      }
    }
    List<String> primaryOnly = primary.map(List::of).orElse(List.of());
    List<RoutingAdvice> out = new ArrayList<>();
    for (Protocol p : Protocol.values()) {
      out.add(
          switch (p) {
            case SMTP ->
                new RoutingAdvice(
                    p, all, false, "any node: queues and mailboxes are on shared storage");
            case IMAP ->
                new RoutingAdvice(
                    p, all, false, "any node: mail changes are relayed to every node (R6)");
            case POP3 -> new RoutingAdvice(p, all, false, "any node: mailboxes are shared");
            case HTTP ->
                new RoutingAdvice(
                    p,
                    primaryOnly,
                    true,
                    "the primary, sticky: webmail sessions must stay on one node, and the"
                        + " simplest safe plan sends all HTTP to the primary");
            case XMPP ->
                new RoutingAdvice(
                    p, primaryOnly, true, "the primary, sticky: chat sessions live on one node");
            case REMOTE_ADMIN ->
                new RoutingAdvice(
                    p,
                    primaryOnly,
                    false,
                    "the primary only: secondaries are read-only for administration (R7)");
          });
    }
    return new RoutingPlan(node, role, out);
  }

  /** Returns the advice for one protocol. */
  public RoutingAdvice advice(Protocol protocol) {
    requireNonNull(protocol, "protocol");
    return advice.stream().filter(a -> a.protocol() == protocol).findFirst().orElseThrow();
  }
}
