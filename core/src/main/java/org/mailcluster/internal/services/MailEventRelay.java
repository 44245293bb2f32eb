package org.mailcluster.internal.services;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.events.MailEvent;
import org.mailcluster.events.MailEventListener;
import org.mailcluster.events.MailEvents;
import org.mailcluster.events.RelayStats;
import org.mailcluster.internal.node.NodeLoop;
import org.mailcluster.internal.node.NodeSettings;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeId;
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
 * The mail-change relay (requirement R6 in docs/REQUIREMENTS.md) over the node's named services:
 * every event travels as a {@code call} to the {@value #SERVICE} service of the next node, so it
 * needs nothing from the transport beyond {@code Request.Forward}.
 *
 * <p>Each sender keeps one outgoing link per receiver (a secondary: one, to the primary; the
 * primary: one per other node). A link numbers its events, sends them in batches with at most one
 * batch in flight, and drops them only once the receiver has acknowledged their numbers: delivery
 * is at least once and in order. The receiver remembers the last number per sender (and the
 * sender's incarnation, which changes on restart) and the ids of recent events, so a repeated batch
 * or a repeated event is dropped. While a receiver is unreachable the link retries with backoff;
 * past its capacity it drops its oldest event, counts it and warns once per outage.
 *
 * <p>All state is confined to the node's logical thread.
 */
public final class MailEventRelay implements MailEvents {
  static final String SERVICE = "mailcluster.events";
  private static final Logger log = LoggerFactory.getLogger("mailcluster.events");
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int BATCH = 64;
  // Characters of JSON in one batch: a quarter of the 1 MiB a message may carry.
  private static final long BATCH_CHARS = 256 * 1024;
  private static final int SEEN_IDS = 100_000;
  private static final Duration RETRY_MIN = Duration.ofMillis(200);
  private static final Duration RETRY_MAX = Duration.ofSeconds(5);

  private final NodeContext node;
  private final NodeSettings settings;
  private final Scheduler scheduler;
  private final int capacity;
  private final long incarnation;
  private final List<MailEventListener> listeners = new CopyOnWriteArrayList<>();

  private final Link toPrimary;
  private final Map<NodeId, Link> toMembers = new LinkedHashMap<>();
  private final Map<NodeId, Inbound> inbound = new HashMap<>();
  private final Set<String> seen =
      java.util.Collections.newSetFromMap(
          new LinkedHashMap<>() {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > SEEN_IDS;
            }
          });
  private long published;
  private long received;
  private long undeliverable;
  private long duplicates;
  private long overflowed;
  private boolean closed;
  private volatile RelayStats stats = new RelayStats(0, 0, 0, 0, 0);

  MailEventRelay(NodeContext node, NodeSettings settings, Scheduler scheduler) {
    this.node = node;
    this.settings = settings;
    this.scheduler = scheduler;
    this.capacity = settings.services().mailEventBuffer();
    this.incarnation = settings.random().nextLong() & Long.MAX_VALUE;
    this.toPrimary = new Link("the primary", node::primary);
  }

  void start() {
    node.registerService(SERVICE, this::receive);
  }

  void close() {
    closed = true;
    toPrimary.cancelRetry();
    toMembers.values().forEach(Link::cancelRetry);
  }

  // ---- host API ------------------------------------------------------------------------

  @Override
  public MailEvent publish(String mailbox, MailEvent.Kind kind, String payload) {
    MailEvent event =
        new MailEvent(randomId(), settings.id(), mailbox, kind, requireNonNull(payload));
    scheduler.execute(() -> onPublished(event));
    return event;
  }

  /**
   * A version 4 UUID drawn from the node's injected random source, so that a simulated run is the
   * same for the same seed.
   */
  private String randomId() {
    long high = settings.random().nextLong();
    long low = settings.random().nextLong();
    return new UUID(
            (high & ~0xF000L) | 0x4000L, (low & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L)
        .toString();
  }

  @Override
  public void addListener(MailEventListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  @Override
  public RelayStats stats() {
    return stats;
  }

  // ---- sending -------------------------------------------------------------------------

  private void onPublished(MailEvent event) {
    published++;
    seen.add(event.id());
    if (node.role() == Role.PRIMARY) {
      relay(event);
    } else {
      enqueue(toPrimary, event);
    }
    refreshStats();
  }

  /** On the primary: hands {@code event} to every other node but its origin. */
  private void relay(MailEvent event) {
    for (Member m : node.members()) {
      if (!m.id().equals(settings.id()) && !m.id().equals(event.origin())) {
        Link link =
            toMembers.computeIfAbsent(m.id(), id -> new Link(id.value(), () -> Optional.of(id)));
        enqueue(link, event);
      }
    }
  }

  private void enqueue(Link link, MailEvent event) {
    if (closed) {
      return;
    }
    if (link.queue.size() >= capacity) {
      link.queue.removeFirst();
      overflowed++;
      if (!link.overflowWarned) {
        link.overflowWarned = true;
        node.warn(
            "mail events for "
                + link.name
                + " overflowed the buffer of "
                + capacity
                + " while it is unreachable: the oldest are dropped (see the relay's overflow"
                + " count); raise mailEventBuffer or bring the node back");
      }
    }
    link.queue.addLast(new Envelope(link.nextSeq++, event));
    pump(link);
  }

  private void pump(Link link) {
    if (closed || link.inFlight || link.queue.isEmpty() || link.retry != null) {
      return;
    }
    Optional<NodeId> target = link.target.get();
    if (target.isEmpty()) {
      retryLater(link);
      return;
    }
    if (link != toPrimary && node.members().stream().noneMatch(m -> m.id().equals(target.get()))) {
      link.queue.clear(); // the node was removed from the cluster
      toMembers.remove(target.get());
      refreshStats();
      return;
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("from", settings.id().value());
    body.put("incarnation", incarnation);
    ArrayNode events = body.putArray("events");
    int n = 0;
    long last = 0;
    long chars = 0;
    for (Iterator<Envelope> it = link.queue.iterator(); it.hasNext() && n < BATCH; n++) {
      Envelope e = it.next();
      ObjectNode o = JSON.createObjectNode();
      o.put("seq", e.seq());
      o.put("id", e.event().id());
      o.put("origin", e.event().origin().value());
      o.put("mailbox", e.event().mailbox());
      o.put("kind", e.event().kind().name());
      o.put("payload", e.event().payload());
      // Cut well below the largest message a peer takes; one event (its parts are bounded) always
      // fits, however its text escapes.
      long size = JSON.writeValueAsString(o).length();
      if (n > 0 && chars + size > BATCH_CHARS) {
        break;
      }
      chars += size;
      events.add(o);
      last = e.seq();
    }
    link.inFlight = true;
    long sentUpTo = last;
    node.call(target.get(), SERVICE, JSON.writeValueAsString(body), settings.callDeadline())
        .whenComplete(
            (answer, failure) ->
                scheduler.execute(() -> onAnswer(link, sentUpTo, answer, failure)));
  }

  private void onAnswer(Link link, long sentUpTo, String answer, Throwable failure) {
    link.inFlight = false;
    if (closed) {
      return;
    }
    if (failure != null && refusedForContent(failure)) {
      // The receiver refused the batch for what it holds: sending it again would be refused again,
      // and every later event to that node would wait behind it.
      int dropped = 0;
      while (!link.queue.isEmpty() && link.queue.peekFirst().seq() <= sentUpTo) {
        link.queue.removeFirst();
        dropped++;
      }
      undeliverable += dropped;
      link.failures = 0;
      node.warn(
          "dropped "
              + dropped
              + " mail event"
              + (dropped == 1 ? "" : "s")
              + " for "
              + link.name
              + ", which refused them: "
              + NodeLoop.rootMessage(failure)
              + " (counted in the relay's undeliverable events)");
      refreshStats();
      pump(link);
      return;
    }
    if (failure != null) {
      link.failures++;
      if (link.failures == 1) {
        log.debug("mail events for {} not delivered, retrying: {}", link.name, failure.toString());
      }
      retryLater(link);
      return;
    }
    long acked = Math.min(sentUpTo, JSON.readTree(answer).path("acked").asLong(0));
    while (!link.queue.isEmpty() && link.queue.peekFirst().seq() <= acked) {
      link.queue.removeFirst();
    }
    link.failures = 0;
    if (link.queue.isEmpty()) {
      link.overflowWarned = false;
    }
    refreshStats();
    pump(link);
  }

  private static boolean refusedForContent(Throwable failure) {
    return NodeLoop.unwrap(failure) instanceof ClusterException ce
        && (ce.code() == ErrorCode.INVALID_VALUE || ce.code() == ErrorCode.LIMIT_EXCEEDED);
  }

  private void retryLater(Link link) {
    if (link.retry != null || closed) {
      return;
    }
    long millis =
        Math.min(RETRY_MAX.toMillis(), RETRY_MIN.toMillis() << Math.min(link.failures, 5));
    link.retry =
        scheduler.schedule(
            Duration.ofMillis(millis),
            () -> {
              link.retry = null;
              pump(link);
            });
  }

  // ---- receiving -----------------------------------------------------------------------

  private CompletableFuture<String> receive(PeerIdentity from, String payload) {
    JsonNode body;
    try {
      body = JSON.readTree(payload);
    } catch (JacksonException e) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE, "a mail-event batch is not JSON: " + e.getOriginalMessage());
    }
    NodeId sender =
        from.node()
            .orElseThrow(
                () ->
                    new ClusterException(
                        ErrorCode.UNAUTHENTICATED, "mail events come from a proven node only"));
    // The primary relays every node's events, so what it sends names their origins; any other node
    // sends only its own.
    boolean fromPrimary =
        node.role() == Role.SECONDARY && node.primary().equals(Optional.of(sender));
    if (node.role() == Role.SECONDARY && !fromPrimary) {
      throw new ClusterException(
          ErrorCode.PERMISSION_DENIED,
          sender
              + " sent mail events to the secondary "
              + settings.id()
              + ": only the primary does");
    }
    for (JsonNode o : body.path("events").values()) {
      String origin = o.path("origin").asString("");
      if (!fromPrimary && !origin.equals(sender.value())) {
        throw new ClusterException(
            ErrorCode.PERMISSION_DENIED,
            sender
                + " sent a mail event whose origin is '"
                + shown(origin)
                + "': a node publishes"
                + " its own events only");
      }
    }
    long theirIncarnation = body.path("incarnation").asLong();
    Inbound in = inbound.get(sender);
    if (in == null || in.incarnation != theirIncarnation) {
      in = new Inbound(theirIncarnation);
      inbound.put(sender, in);
    }
    for (JsonNode o : body.path("events").values()) {
      long seq = o.path("seq").asLong();
      if (seq <= in.lastSeq) {
        duplicates++;
        continue;
      }
      in.lastSeq = seq;
      MailEvent event;
      try {
        event =
            new MailEvent(
                o.path("id").asString(),
                NodeId.of(o.path("origin").asString()),
                o.path("mailbox").asString(),
                MailEvent.Kind.valueOf(o.path("kind").asString()),
                o.path("payload").asString(""));
      } catch (IllegalArgumentException e) {
        node.warn("dropped a malformed mail event from " + sender + ": " + e.getMessage());
        continue;
      }
      deliver(event);
    }
    refreshStats();
    ObjectNode answer = JSON.createObjectNode();
    answer.put("acked", in.lastSeq);
    return CompletableFuture.completedFuture(JSON.writeValueAsString(answer));
  }

  private static String shown(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "…";
  }

  private void deliver(MailEvent event) {
    if (event.origin().equals(settings.id()) || !seen.add(event.id())) {
      duplicates++;
      return;
    }
    received++;
    for (MailEventListener l : listeners) {
      try {
        l.onMailEvent(event);
      } catch (RuntimeException e) {
        log.error("a mail event listener threw; the relay goes on", e);
      }
    }
    if (node.role() == Role.PRIMARY) {
      relay(event);
    }
  }

  private void refreshStats() {
    int buffered = toPrimary.queue.size();
    for (Link l : toMembers.values()) {
      buffered += l.queue.size();
    }
    stats = new RelayStats(published, received, duplicates, buffered, overflowed, undeliverable);
  }

  private record Envelope(long seq, MailEvent event) {}

  /** One receiver's outgoing queue. */
  private static final class Link {
    final String name;
    final Supplier<Optional<NodeId>> target;
    final ArrayDeque<Envelope> queue = new ArrayDeque<>();
    long nextSeq = 1;
    boolean inFlight;
    int failures;
    boolean overflowWarned;
    Scheduler.Cancellable retry;

    Link(String name, Supplier<Optional<NodeId>> target) {
      this.name = name;
      this.target = target;
    }

    void cancelRetry() {
      if (retry != null) {
        retry.cancel();
        retry = null;
      }
    }
  }

  /** What this node has received from one sender. */
  private static final class Inbound {
    final long incarnation;
    long lastSeq;

    Inbound(long incarnation) {
      this.incarnation = incarnation;
    }
  }
}
