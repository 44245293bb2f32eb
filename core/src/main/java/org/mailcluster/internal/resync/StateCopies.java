package org.mailcluster.internal.resync;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;

/**
 * Recovering a primary whose state was lost or restored from an old copy: it copies the whole state
 * and retained history of a registered server (the most up-to-date one, unless the operator names
 * one) page by page, checks the copy against the server's fingerprint, and installs it in place of
 * its own. Every node serves such copies to the registered servers.
 */
public final class StateCopies {
  private final NodeCore node;

  /** Binds the node that serves copies and may be recovered. */
  public StateCopies(NodeCore node) {
    this.node = node;
  }

  /**
   * Answers one page of this node's state and history. On the loop.
   *
   * @throws ClusterException with {@code PERMISSION_DENIED} if the caller is not a registered
   *     server, {@code STATE_CONFLICT} if the state changed since page 0
   */
  public Response.StatePage page(PeerIdentity from, Request.StateCopy request) {
    NodeId caller =
        from.node()
            .filter(id -> node.member(id).isPresent())
            .orElseThrow(
                () ->
                    node.events()
                        .refuse(
                            ErrorCode.PERMISSION_DENIED,
                            "a state copy was asked for by "
                                + from.node().map(NodeId::toString).orElse(from.remoteAddress())
                                + ", which is not a registered server of this node"));
    ConfigSnapshot state = node.committed();
    if (request.page() > 0 && !request.at().equals(state.revision())) {
      throw new ClusterException(
          ErrorCode.STATE_CONFLICT,
          node.settings().id()
              + "'s state moved from "
              + request.at()
              + " to "
              + state.revision()
              + " during the copy: start the recovery again");
    }
    List<LogEntry> history = node.history().entries();
    int keyFrom = request.page() * Response.StatePage.KEYS_PER_PAGE;
    int entryFrom = request.page() * Response.StatePage.ENTRIES_PER_PAGE;
    TreeMap<String, String> keys = new TreeMap<>();
    Iterator<Map.Entry<String, String>> all = state.asMap().entrySet().iterator();
    for (int i = 0; all.hasNext() && keys.size() < Response.StatePage.KEYS_PER_PAGE; i++) {
      Map.Entry<String, String> e = all.next();
      if (i >= keyFrom) {
        keys.put(e.getKey(), e.getValue());
      }
    }
    List<LogEntry> entries =
        entryFrom >= history.size()
            ? List.of()
            : history.subList(
                entryFrom,
                Math.min(history.size(), entryFrom + Response.StatePage.ENTRIES_PER_PAGE));
    boolean last =
        keyFrom + Response.StatePage.KEYS_PER_PAGE >= state.size()
            && entryFrom + Response.StatePage.ENTRIES_PER_PAGE >= history.size();
    if (request.page() == 0) {
      NodeEvents.CLUSTER_LOG.info(
          "{} copies this node's state at {} ({} keys, {} history entries) to recover from it",
          caller,
          state.revision(),
          state.size(),
          history.size());
    }
    return new Response.StatePage(
        state.revision(),
        state.fingerprint(),
        node.history().base(),
        request.page(),
        last,
        keys,
        entries,
        node.epochs().current());
  }

  /**
   * Recovers this primary from {@code from}, or from the registered server with the newest state.
   * On the loop.
   *
   * @throws ClusterException with {@code NOT_PRIMARY} on a secondary, {@code INVALID_VALUE} if
   *     {@code from} is not another registered server
   */
  public CompletableFuture<Revision> recover(Optional<NodeId> from, String caller) {
    node.asPrimary();
    NodeId self = node.settings().id();
    if (from.isPresent()) {
      NodeId source = from.get();
      if (source.equals(self) || node.member(source).isEmpty()) {
        throw new ClusterException(
            ErrorCode.INVALID_VALUE,
            source + " is not another registered server of " + self + ": name one of " + others());
      }
      return copyFrom(source, caller, 0);
    }
    List<NodeId> candidates = others();
    if (candidates.isEmpty()) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE,
          self + " knows no other registered server to recover from: register them first");
    }
    List<CompletableFuture<Optional<Response.Status>>> asked = new ArrayList<>();
    for (NodeId id : candidates) {
      asked.add(
          node.ask(id, Request.StatusQuery::new, node.settings().callDeadline())
              .handle(
                  (r, failure) ->
                      failure == null
                          ? Optional.of((Response.Status) r)
                          : Optional.<Response.Status>empty()));
    }
    return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
        .thenCompose(
            done ->
                node.loop()
                    .call(
                        () -> {
                          NodeId best = null;
                          Revision newest = null;
                          for (int i = 0; i < candidates.size(); i++) {
                            Optional<Response.Status> s = asked.get(i).join();
                            if (s.isPresent()
                                && (newest == null || s.get().revision().compareTo(newest) > 0)) {
                              newest = s.get().revision();
                              best = candidates.get(i);
                            }
                          }
                          if (best == null) {
                            throw new ClusterException(
                                ErrorCode.UNAVAILABLE,
                                "no registered server answered ("
                                    + candidates
                                    + "): start one of them, or name one with --from");
                          }
                          NodeEvents.CLUSTER_LOG.info(
                              "recovering from {}, the most up-to-date server reachable ({})",
                              best,
                              newest);
                          long highest = 0;
                          for (CompletableFuture<Optional<Response.Status>> a : asked) {
                            Optional<Response.Status> s = a.join();
                            if (s.isPresent()) {
                              highest =
                                  Math.max(highest, Math.max(s.get().epoch(), s.get().promised()));
                            }
                          }
                          return copyFrom(best, caller, highest);
                        }));
  }

  private List<NodeId> others() {
    List<NodeId> out = new ArrayList<>();
    for (Member m : node.members()) {
      if (!m.id().equals(node.settings().id())) {
        out.add(m.id());
      }
    }
    return out;
  }

  private CompletableFuture<Revision> copyFrom(NodeId source, String caller, long epochAtLeast) {
    return fetch(source, 0, Revision.INITIAL, new ArrayList<>())
        .thenCompose(
            pages ->
                node.loop()
                    .call(
                        () -> {
                          Response.StatePage first = pages.get(0);
                          TreeMap<String, String> keys = new TreeMap<>();
                          List<LogEntry> history = new ArrayList<>();
                          for (Response.StatePage p : pages) {
                            keys.putAll(p.keys());
                            history.addAll(p.history());
                          }
                          ConfigSnapshot state = ConfigSnapshot.of(keys, first.revision());
                          if (!state.fingerprint().equals(first.fingerprint())) {
                            throw new ClusterException(
                                ErrorCode.CORRUPT_DATA,
                                "the copy of "
                                    + source
                                    + "'s state does not match its fingerprint: nothing was"
                                    + " installed; start the recovery again");
                          }
                          long next =
                              Math.max(
                                      Math.max(epochAtLeast, first.epoch()),
                                      Math.max(node.epochs().current(), state.revision().epoch()))
                                  + 1;
                          return grants(next)
                              .thenCompose(
                                  granted ->
                                      node.loop()
                                          .call(
                                              () ->
                                                  node.asPrimary()
                                                      .installRecovered(
                                                          state,
                                                          first.historyBase(),
                                                          history,
                                                          source,
                                                          caller,
                                                          next)));
                        }));
  }

  /**
   * Asks every other registered server to grant {@code epoch} to this node, as a promotion does, so
   * that no other node can be promoted to it; completes once a majority of the registered servers
   * (this one included) granted it.
   */
  private CompletableFuture<Void> grants(long epoch) {
    NodeId self = node.settings().id();
    List<NodeId> others = others();
    int needed = (others.size() + 1) / 2 + 1;
    List<CompletableFuture<Boolean>> asked = new ArrayList<>();
    for (NodeId id : others) {
      asked.add(
          node.ask(
                  id,
                  e -> new Request.EpochGrant(self, epoch, false, e),
                  node.settings().callDeadline())
              .handle((r, failure) -> failure == null));
    }
    return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
        .thenAccept(
            done -> {
              int granted = 1 + (int) asked.stream().filter(CompletableFuture::join).count();
              if (granted < needed) {
                throw new ClusterException(
                    ErrorCode.UNAVAILABLE,
                    "only "
                        + granted
                        + " of "
                        + (others.size() + 1)
                        + " registered servers granted epoch "
                        + epoch
                        + " for the recovery (a majority is needed): nothing was installed;"
                        + " start more of them and recover again");
              }
            });
  }

  private CompletableFuture<List<Response.StatePage>> fetch(
      NodeId source, int page, Revision at, List<Response.StatePage> pages) {
    return node.ask(
            source, epoch -> new Request.StateCopy(page, at, epoch), node.settings().callDeadline())
        .thenCompose(
            answer -> {
              Response.StatePage p = (Response.StatePage) answer;
              pages.add(p);
              return p.last()
                  ? CompletableFuture.completedFuture(pages)
                  : fetch(source, page + 1, p.revision(), pages);
            });
  }
}
