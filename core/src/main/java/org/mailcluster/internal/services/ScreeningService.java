package org.mailcluster.internal.services;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.mailcluster.ClusterException;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.SettingKey;
import org.mailcluster.forwarding.ForwardedAnswer;
import org.mailcluster.internal.node.NodeLoop;
import org.mailcluster.internal.node.NodeSettings;
import org.mailcluster.membership.NodeId;
import org.mailcluster.screening.DynamicScreening;
import org.mailcluster.screening.ScreeningPolicy;
import org.mailcluster.screening.ScreeningStatus;
import org.mailcluster.screening.ScreeningVerdict;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.transport.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Dynamic screening (requirements R18, R19 and B4 in docs/REQUIREMENTS.md) on the node's named
 * services and {@link Forwarder}.
 *
 * <p>The data lives in the replicated state: {@code screening/blocked/<address>} ({@code {"until",
 * "reason"}}), {@code screening/failures/<address>} ({@code {"count", "first"}}) and {@code
 * screening/allowed/<address>} ({@code {"since"}}). Only the primary commits it, one operation at a
 * time so that counters never lose an increment. Each operation carries an id; the primary applies
 * an id once, so a replayed operation that had reached it before the outage is not counted twice.
 *
 * <p>A secondary forwards every operation. When the primary does not answer (unreachable, or the
 * deadline passed: an outage may start mid-request), it switches to fallback: it decides on the
 * last replicated state plus its own changes (an overlay), records the changing operations, and
 * probes the primary every second. When a probe succeeds it discards the overlay ({@code
 * OVERWRITE}) or sends the recorded operations to the primary first, in order ({@code REPLAY}), and
 * then forwards again. Operations that arrive while it reconciles are decided locally and recorded,
 * so they follow the replayed ones.
 *
 * <p>All state is confined to the node's logical thread.
 */
public final class ScreeningService implements DynamicScreening {
  static final String SERVICE = "mailcluster.screening";
  static final String NAMESPACE = "screening";
  private static final Logger log = LoggerFactory.getLogger("mailcluster.screening");
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
  private static final int APPLIED_IDS = 10_000;

  /** How often the primary removes expired blocks and stale failure counters. */
  static final Duration PRUNE_INTERVAL = Duration.ofMinutes(5);

  private enum Mode {
    PRIMARY,
    FORWARDING,
    FALLBACK
  }

  private final NodeContext node;
  private final NodeSettings settings;
  private final Scheduler scheduler;
  private final ScreeningPolicy policy;

  private Mode mode;
  private final Map<String, Optional<String>> overlay = new LinkedHashMap<>();
  private final List<ObjectNode> pending = new ArrayList<>();
  private long replayed;
  private long discarded;
  private Instant fallbackSince;
  private boolean probing;
  private boolean closed;
  // Primary: operations run one after another; ids already applied.
  private CompletableFuture<?> chain = CompletableFuture.completedFuture(null);
  private final Map<String, Boolean> applied =
      new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > APPLIED_IDS;
        }
      };
  // Counts for the status, kept up to date from the replicated diffs.
  private final Map<String, Instant> blockedUntil = new HashMap<>();
  private final Map<String, Instant> failuresSince = new HashMap<>();
  private final java.util.Set<String> allowedAddresses = new java.util.HashSet<>();
  private volatile ScreeningStatus status;

  ScreeningService(NodeContext node, NodeSettings settings, Scheduler scheduler) {
    this.node = node;
    this.settings = settings;
    this.scheduler = scheduler;
    this.policy = settings.services().screeningPolicy();
    this.mode = settings.role() == Role.PRIMARY ? Mode.PRIMARY : Mode.FORWARDING;
    refreshStatus();
  }

  void start() {
    // The role is known only now: a node restarted after a promotion or a fencing keeps its last.
    mode = node.role() == Role.PRIMARY ? Mode.PRIMARY : Mode.FORWARDING;
    node.registerService(SERVICE, this::serve);
    node.configuration()
        .forEach(
            (k, v) -> {
              if (k.startsWith(NAMESPACE + "/")) {
                track(k, Optional.of(v));
              }
            });
    refreshStatus();
  }

  /** Follows a promotion (this node now decides) or a fencing (it now forwards). */
  void roleChanged(Role role) {
    mode = role == Role.PRIMARY ? Mode.PRIMARY : Mode.FORWARDING;
    refreshStatus();
  }

  void close() {
    closed = true;
  }

  /** Keeps the status counts in step with the replicated state. */
  void onApplied(ConfigDiff diff) {
    boolean touched = false;
    for (ConfigDiff.Change c : diff.changes()) {
      if (c.key().startsWith(NAMESPACE + "/")) {
        track(c.key(), c.newValue());
        touched = true;
      }
    }
    if (touched) {
      refreshStatus();
    }
  }

  private void track(String key, Optional<String> value) {
    List<String> path = SettingKey.parse(key).path();
    if (path.size() != 2) {
      return;
    }
    if (path.get(0).equals("blocked")) {
      if (value.isPresent()) {
        blockedUntil.put(path.get(1), ScreeningJson.parseBlock(value.get()).until());
      } else {
        blockedUntil.remove(path.get(1));
      }
    } else if (path.get(0).equals("failures")) {
      if (value.isPresent()) {
        failuresSince.put(
            path.get(1),
            Instant.parse(
                ScreeningJson.tree(value.get()).path("first").asString(Instant.EPOCH.toString())));
      } else {
        failuresSince.remove(path.get(1));
      }
    } else if (path.get(0).equals("allowed")) {
      if (value.isPresent()) {
        allowedAddresses.add(path.get(1));
      } else {
        allowedAddresses.remove(path.get(1));
      }
    }
  }

  // ---- host API ------------------------------------------------------------------------

  @Override
  public CompletableFuture<ScreeningVerdict> check(String address) {
    return request("check", address, null, null);
  }

  @Override
  public CompletableFuture<ScreeningVerdict> failedLogin(String address) {
    return request("failed-login", address, null, null);
  }

  @Override
  public CompletableFuture<ScreeningVerdict> block(
      String address, Duration duration, String reason) {
    ScreeningLimits.checkBlock(duration, reason);
    return request("block", address, duration, reason);
  }

  @Override
  public CompletableFuture<ScreeningVerdict> unblock(String address) {
    return request("unblock", address, null, null);
  }

  @Override
  public CompletableFuture<ScreeningVerdict> allow(String address) {
    return request("allow", address, null, null);
  }

  @Override
  public ScreeningStatus status() {
    return status;
  }

  private CompletableFuture<ScreeningVerdict> request(
      String op, String address, Duration duration, String reason) {
    String normalized = ScreeningLimits.normalize(address);
    return node.loop()
        .call(
            () -> {
              ObjectNode o = JSON.createObjectNode();
              o.put("op", op);
              o.put(
                  "id",
                  new UUID(settings.random().nextLong(), settings.random().nextLong()).toString());
              o.put("address", normalized);
              if (duration != null) {
                o.put("seconds", duration.toSeconds());
              }
              if (reason != null) {
                o.put("reason", reason);
              }
              return submit(o);
            });
  }

  private CompletableFuture<ScreeningVerdict> submit(ObjectNode op) {
    if (mode == Mode.PRIMARY) {
      return applyOnPrimary(op);
    }
    if (mode == Mode.FALLBACK) {
      return CompletableFuture.completedFuture(applyLocally(op));
    }
    return Forwarder.ask(
            node.primary(),
            node::call,
            SERVICE,
            JSON.writeValueAsString(op),
            settings.callDeadline(),
            why -> "")
        .thenCompose(
            answer ->
                node.loop()
                    .call(
                        () -> {
                          if (!answer.local()) {
                            return CompletableFuture.completedFuture(
                                ScreeningJson.readVerdict(answer.payload()));
                          }
                          enterFallback(answer);
                          return CompletableFuture.completedFuture(applyLocally(op));
                        }));
  }

  // ---- secondary: fallback and reconciliation ------------------------------------------

  private void enterFallback(ForwardedAnswer why) {
    if (mode == Mode.FALLBACK) {
      return;
    }
    mode = Mode.FALLBACK;
    fallbackSince = scheduler.now();
    node.warn(
        "screening decides on this node's last replicated state: "
            + why.whyLocal().orElse("the primary did not answer")
            + "; local changes will be "
            + (policy == ScreeningPolicy.OVERWRITE
                ? "discarded when it returns (policy OVERWRITE)"
                : "replayed to it when it returns (policy REPLAY)"));
    refreshStatus();
    probeLater();
  }

  private ScreeningVerdict applyLocally(ObjectNode op) {
    Outcome outcome = evaluate(op, this::localView, scheduler.now(), true);
    if (!outcome.changes().isEmpty()) {
      overlay.putAll(outcome.changes());
      pending.add(op);
      refreshStatus();
    }
    return outcome.verdict();
  }

  private Optional<String> localView(String key) {
    Optional<String> local = overlay.get(key);
    return local != null ? local : node.configuration().get(key);
  }

  private void probeLater() {
    if (probing || closed) {
      return;
    }
    probing = true;
    scheduler.schedule(
        PROBE_INTERVAL,
        () -> {
          probing = false;
          probe();
        });
  }

  private void probe() {
    if (mode != Mode.FALLBACK || closed) {
      return;
    }
    Optional<NodeId> primary = node.primary();
    if (primary.isEmpty()) {
      probeLater();
      return;
    }
    ObjectNode ping = JSON.createObjectNode();
    ping.put("op", "ping");
    node.call(primary.get(), SERVICE, JSON.writeValueAsString(ping), settings.callDeadline())
        .whenComplete(
            (answer, failure) ->
                scheduler.execute(
                    () -> {
                      if (failure != null) {
                        probeLater();
                      } else {
                        reconcile(primary.get());
                      }
                    }));
  }

  private void reconcile(NodeId primary) {
    if (mode != Mode.FALLBACK || closed) {
      return;
    }
    if (pending.isEmpty() || policy == ScreeningPolicy.OVERWRITE) {
      if (!pending.isEmpty()) {
        discarded += pending.size();
        node.warn(
            "the primary "
                + primary
                + " is back: discarded "
                + pending.size()
                + " screening change"
                + (pending.size() == 1 ? "" : "s")
                + " made on this node while it was away (policy OVERWRITE)");
      }
      leaveFallback();
      return;
    }
    // In parts the primary takes: a fallback that lasted long may hold more than one message
    // carries.
    List<ObjectNode> batch =
        List.copyOf(pending.subList(0, Math.min(pending.size(), ScreeningLimits.REPLAY_BATCH)));
    ObjectNode replay = JSON.createObjectNode();
    replay.put("op", "replay");
    ArrayNode ops = replay.putArray("ops");
    batch.forEach(ops::add);
    node.call(
            primary,
            SERVICE,
            JSON.writeValueAsString(replay),
            settings.callDeadline().multipliedBy(Math.max(1, batch.size())))
        .whenComplete(
            (answer, failure) ->
                scheduler.execute(
                    () -> {
                      if (failure != null
                          && NodeLoop.unwrap(failure) instanceof ClusterException ce
                          && ce.code() == ErrorCode.INVALID_VALUE) {
                        // Refused for what it holds, it would be refused again forever.
                        pending.subList(0, batch.size()).clear();
                        discarded += batch.size();
                        node.warn(
                            "the primary "
                                + primary
                                + " refused "
                                + batch.size()
                                + " replayed screening change(s), which are dropped: "
                                + ce.getMessage());
                        if (pending.isEmpty()) {
                          leaveFallback();
                        } else {
                          reconcile(primary);
                        }
                        return;
                      } else if (failure != null) {
                        log.debug("screening replay not accepted yet: {}", failure.toString());
                        probeLater();
                        return;
                      }
                      pending.subList(0, batch.size()).clear();
                      replayed += batch.size();
                      clusterInfo(
                          "the primary "
                              + primary
                              + " is back: replayed "
                              + batch.size()
                              + " screening change"
                              + (batch.size() == 1 ? "" : "s")
                              + " made on this node while it was away (policy REPLAY)");
                      if (pending.isEmpty()) {
                        leaveFallback();
                      } else {
                        reconcile(primary);
                      }
                    }));
  }

  private void leaveFallback() {
    pending.clear();
    overlay.clear();
    mode = Mode.FORWARDING;
    fallbackSince = null;
    refreshStatus();
  }

  private static void clusterInfo(String message) {
    LoggerFactory.getLogger("mailcluster.cluster").info(message);
  }

  // ---- primary -------------------------------------------------------------------------

  private CompletableFuture<String> serve(PeerIdentity from, String payload) {
    if (node.role() != Role.PRIMARY) {
      throw new ClusterException(
          ErrorCode.NOT_PRIMARY, "screening is decided by the primary, not " + settings.id());
    }
    JsonNode op;
    try {
      op = JSON.readTree(payload);
    } catch (JacksonException e) {
      throw ScreeningLimits.invalid("a screening request is not JSON: " + e.getOriginalMessage());
    }
    String kind = op.path("op").asString("");
    if (kind.equals("ping")) {
      return CompletableFuture.completedFuture("{\"ok\":true}");
    }
    if (kind.equals("replay")) {
      List<ObjectNode> ops = new ArrayList<>();
      for (JsonNode o : op.path("ops").values()) {
        ops.add(ScreeningLimits.checkedOperation(o));
        if (ops.size() > ScreeningLimits.MAX_REPLAY) {
          throw ScreeningLimits.invalid(
              "a screening replay carries at most " + ScreeningLimits.MAX_REPLAY + " operations");
        }
      }
      List<CompletableFuture<ScreeningVerdict>> done = new ArrayList<>();
      for (ObjectNode o : ops) {
        done.add(applyOnPrimary(o));
      }
      log.info("{} replayed {} screening change(s)", from, done.size());
      return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new))
          .thenApply(ignored -> "{\"replayed\":" + done.size() + "}");
    }
    return applyOnPrimary(ScreeningLimits.checkedOperation(op))
        .thenApply(ScreeningJson::writeVerdict);
  }

  private CompletableFuture<ScreeningVerdict> applyOnPrimary(ObjectNode op) {
    CompletableFuture<ScreeningVerdict> result =
        chain
            .handle((ignored, failure) -> null)
            .thenCompose(ignored -> node.loop().call(() -> applyNow(op)));
    chain = result;
    return result;
  }

  private CompletableFuture<ScreeningVerdict> applyNow(ObjectNode op) {
    String id = op.path("id").asString("");
    Function<String, Optional<String>> view = k -> node.configuration().get(k);
    if (!id.isEmpty() && applied.containsKey(id)) {
      ObjectNode check = op.deepCopy();
      check.put("op", "check");
      return CompletableFuture.completedFuture(
          evaluate(check, view, scheduler.now(), false).verdict());
    }
    Outcome outcome = evaluate(op, view, scheduler.now(), false);
    if (outcome.changes().isEmpty()) {
      return CompletableFuture.completedFuture(outcome.verdict());
    }
    ConfigUpdate.Builder update = ConfigUpdate.builder("screening:" + op.path("op").asString());
    outcome
        .changes()
        .forEach(
            (k, v) -> {
              if (v.isPresent()) {
                update.setRaw(SettingKey.parse(k), v.get());
              } else {
                update.remove(SettingKey.parse(k));
              }
            });
    return node.update(update.build())
        .thenApply(
            revision -> {
              if (!id.isEmpty()) {
                applied.put(id, Boolean.TRUE);
              }
              return outcome.verdict();
            });
  }

  /**
   * On the primary: removes blocks that have expired and failure counters whose window has passed,
   * so the replicated screening data does not grow without bound.
   */
  void prune() {
    if (node.role() != Role.PRIMARY || closed) {
      return;
    }
    // Queued behind the operations in flight, and decided when its turn comes, so a block made
    // meanwhile is never removed.
    CompletableFuture<Integer> done =
        chain
            .handle((ignored, failure) -> null)
            .thenCompose(ignored -> node.loop().call(this::pruneNow));
    chain = done;
  }

  private CompletableFuture<Integer> pruneNow() {
    Instant now = scheduler.now();
    ConfigUpdate.Builder update = ConfigUpdate.builder("screening:prune");
    int n = 0;
    for (Map.Entry<String, Instant> e : blockedUntil.entrySet()) {
      if (!e.getValue().isAfter(now)) {
        update.remove(SettingKey.parse(key("blocked", e.getKey())));
        n++;
      }
    }
    for (Map.Entry<String, Instant> e : failuresSince.entrySet()) {
      if (!e.getValue().plus(FAILURE_WINDOW).isAfter(now)) {
        update.remove(SettingKey.parse(key("failures", e.getKey())));
        n++;
      }
    }
    if (n == 0) {
      return CompletableFuture.completedFuture(0);
    }
    int removed = n;
    log.info("removing {} expired screening entr{}", removed, removed == 1 ? "y" : "ies");
    return node.update(update.build()).thenApply(revision -> removed);
  }

  // ---- the rules -----------------------------------------------------------------------

  record Outcome(Map<String, Optional<String>> changes, ScreeningVerdict verdict) {}

  /** What {@code op} changes in the state {@code view} shows, and the verdict afterwards. */
  static Outcome evaluate(
      JsonNode op, Function<String, Optional<String>> view, Instant now, boolean local) {
    String address = op.path("address").asString("");
    String blockedKey = key("blocked", address);
    String failuresKey = key("failures", address);
    String allowedKey = key("allowed", address);
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    boolean allowed = view.apply(allowedKey).isPresent();
    Optional<ScreeningJson.Block> block = view.apply(blockedKey).map(ScreeningJson::parseBlock);
    boolean expired = block.isPresent() && !block.get().until().isAfter(now);
    JsonNode failuresNode = view.apply(failuresKey).map(ScreeningJson::tree).orElse(null);
    int count = 0;
    Instant first = now;
    if (failuresNode != null) {
      Instant since = Instant.parse(failuresNode.path("first").asString(now.toString()));
      if (since.plus(FAILURE_WINDOW).isAfter(now)) {
        count = failuresNode.path("count").asInt(0);
        first = since;
      }
    }
    String kind = op.path("op").asString("");
    switch (kind) {
      case "check":
        break;
      case "failed-login":
        if (allowed) {
          break;
        }
        count++;
        if (count >= MAX_FAILURES) {
          changes.put(
              blockedKey,
              Optional.of(
                  ScreeningJson.blockJson(
                      now.plus(BLOCK_DURATION), "too many failed logins (" + count + ")")));
          changes.put(failuresKey, Optional.empty());
          count = 0;
        } else {
          ObjectNode f = JSON.createObjectNode();
          f.put("count", count);
          f.put("first", first.toString());
          changes.put(failuresKey, Optional.of(JSON.writeValueAsString(f)));
          if (expired) {
            changes.put(blockedKey, Optional.empty());
          }
        }
        break;
      case "block":
        changes.put(
            blockedKey,
            Optional.of(
                ScreeningJson.blockJson(
                    now.plusSeconds(op.path("seconds").asLong(BLOCK_DURATION.toSeconds())),
                    op.path("reason").asString("blocked by an administrator"))));
        break;
      case "unblock":
        putRemoval(changes, view, blockedKey);
        putRemoval(changes, view, failuresKey);
        count = 0;
        break;
      case "allow":
        if (!allowed) {
          ObjectNode a = JSON.createObjectNode();
          a.put("since", now.toString());
          changes.put(allowedKey, Optional.of(JSON.writeValueAsString(a)));
        }
        putRemoval(changes, view, blockedKey);
        putRemoval(changes, view, failuresKey);
        count = 0;
        break;
      default:
        throw new ClusterException(
            ErrorCode.INVALID_VALUE, "'" + kind + "' is not a screening operation");
    }
    Function<String, Optional<String>> after =
        k -> changes.containsKey(k) ? changes.get(k) : view.apply(k);
    boolean nowAllowed = after.apply(allowedKey).isPresent();
    Optional<ScreeningJson.Block> nowBlock =
        after.apply(blockedKey).map(ScreeningJson::parseBlock).filter(b -> b.until().isAfter(now));
    boolean blocked = nowBlock.isPresent() && !nowAllowed;
    String reason = nowAllowed ? "allowed" : blocked ? nowBlock.get().reason() : "not blocked";
    return new Outcome(
        changes,
        new ScreeningVerdict(
            address,
            blocked,
            blocked ? Optional.of(nowBlock.get().until()) : Optional.empty(),
            reason,
            count,
            local));
  }

  private static void putRemoval(
      Map<String, Optional<String>> changes, Function<String, Optional<String>> view, String key) {
    if (view.apply(key).isPresent()) {
      changes.put(key, Optional.empty());
    }
  }

  static String key(String kind, String address) {
    return SettingKey.of(NAMESPACE, kind, address).stateKey();
  }

  private void refreshStatus() {
    Instant now = scheduler.now();
    int blocked = 0;
    for (Instant until : blockedUntil.values()) {
      if (until.isAfter(now)) {
        blocked++;
      }
    }
    for (Map.Entry<String, Optional<String>> e : overlay.entrySet()) {
      if (e.getKey().startsWith(NAMESPACE + "/blocked/")) {
        boolean wasCounted =
            node.configuration()
                .get(e.getKey())
                .map(v -> ScreeningJson.parseBlock(v).until().isAfter(now))
                .orElse(false);
        boolean isActive =
            e.getValue().map(v -> ScreeningJson.parseBlock(v).until().isAfter(now)).orElse(false);
        blocked += (isActive ? 1 : 0) - (wasCounted ? 1 : 0);
      }
    }
    status =
        new ScreeningStatus(
            policy,
            mode.name().toLowerCase(Locale.ROOT),
            blocked,
            allowedAddresses.size(),
            pending.size(),
            replayed,
            discarded,
            Optional.ofNullable(fallbackSince));
  }
}
