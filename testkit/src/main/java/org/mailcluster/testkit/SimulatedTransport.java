package org.mailcluster.testkit;

import static java.util.Objects.requireNonNull;
import static org.mailcluster.testkit.SimulatedNetwork.unavailable;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.BiPredicate;
import org.mailcluster.ClusterException;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.transport.ClusterTransport;
import org.mailcluster.transport.InboundHandler;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.StreamObserver;
import org.mailcluster.transport.Subscribe;

/**
 * One incarnation of a node on a {@link SimulatedNetwork}. A restarted node gets a new one, so
 * messages sent to the old incarnation never reach the new one, as with a broken connection.
 */
final class SimulatedTransport implements ClusterTransport {
  private enum State {
    NEW,
    SERVING,
    CLOSED,
    CRASHED
  }

  final SimulatedNetwork network;
  final NodeId node;
  final NodeAddress address;
  // The node id its certificate names: its own, or another's for a second process with that id.
  NodeId presented;
  private State state = State.NEW;
  private InboundHandler handler;
  private final List<Channel> channels = new ArrayList<>();
  // Streams this node sends, as the serving side.
  final Set<SimulatedStream> served = new LinkedHashSet<>();

  SimulatedTransport(SimulatedNetwork network, NodeId node, NodeAddress address) {
    this.network = network;
    this.node = node;
    this.address = address;
    this.presented = node;
  }

  @Override
  public void start(InboundHandler handler) {
    requireNonNull(handler, "handler");
    if (state != State.NEW) {
      throw new IllegalStateException(
          "the transport of "
              + node
              + " is "
              + state.name().toLowerCase()
              + " and cannot start"
              + " again: get a new one from the network");
    }
    this.handler = handler;
    state = State.SERVING;
    network.record(node + " serving at " + address);
  }

  @Override
  public NodeAddress localAddress() {
    return address;
  }

  @Override
  public PeerChannel connect(NodeAddress peer) {
    requireNonNull(peer, "peer");
    if (!alive()) {
      throw new IllegalStateException(
          "the transport of " + node + " is " + state.name().toLowerCase() + ": cannot connect");
    }
    Channel channel = new Channel(peer);
    channels.add(channel);
    return channel;
  }

  @Override
  public void close() {
    if (!alive()) {
      return;
    }
    state = State.CLOSED;
    network.record(node + " transport closed");
    for (Channel c : List.copyOf(channels)) {
      c.close();
    }
    for (SimulatedStream s : List.copyOf(served)) {
      s.breakStream(node + " closed its transport", network.noticeDelayNanos(), true);
    }
  }

  @Override
  public String toString() {
    return "SimulatedTransport[" + node + "@" + address + ", " + state.name().toLowerCase() + "]";
  }

  boolean alive() {
    return state == State.NEW || state == State.SERVING;
  }

  boolean serving() {
    return state == State.SERVING;
  }

  boolean crashed() {
    return state == State.CRASHED;
  }

  /**
   * The caller as its peers see it. Each process on the network holds a certificate of its own: its
   * serial is derived from the network's name for it, so a second process presenting another node's
   * id has another certificate, as a reissued one would be.
   */
  PeerIdentity identity() {
    return PeerIdentity.of(
        presented,
        address.toString(),
        java.util.HexFormat.of().formatHex(node.value().getBytes(StandardCharsets.UTF_8)));
  }

  void crash() {
    state = State.CRASHED;
    for (Channel c : List.copyOf(channels)) {
      c.abandon();
    }
    for (SimulatedStream s : List.copyOf(served)) {
      s.breakStream(node + " crashed", network.noticeDelayNanos(), false);
    }
  }

  void breakStreamsWhere(BiPredicate<NodeId, NodeId> separated, String reason) {
    for (SimulatedStream s : List.copyOf(served)) {
      if (separated.test(node, s.receiver.node)) {
        s.breakStream(reason, network.noticeDelayNanos(), true);
      }
    }
  }

  // ---- serving side ---------------------------------------------------------------------------

  private void receiveCall(SimulatedTransport caller, PendingCall call, Request request) {
    String route = caller.node + "→" + node + " " + call.what;
    if (!serving()) {
      network.record(route + " lost (" + node + " is not serving)");
      return;
    }
    network.record(route + " delivered");
    CompletableFuture<Response> answer;
    try {
      answer = handler.handle(caller.identity(), request);
      if (answer == null) {
        answer =
            CompletableFuture.failedFuture(
                new NullPointerException("the handler of " + node + " returned no future"));
      }
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete(
        (response, error) -> network.wire().execute(() -> answer(caller, call, response, error)));
  }

  private void answer(
      SimulatedTransport caller, PendingCall call, Response response, Throwable error) {
    ClusterException refusal = response == null ? asRefusal(error) : null;
    String what =
        response != null
            ? MessageText.of(response)
            : "refusal " + refusal.code() + " to " + call.what;
    if (crashed()) {
      network.record(node + "→" + caller.node + " " + what + " not sent (" + node + " crashed)");
      return;
    }
    network.sendUnary(
        node,
        caller.node,
        what,
        false,
        () -> {
          if (caller.crashed()) {
            network.record(node + "→" + caller.node + " " + what + " lost (caller crashed)");
          } else if (call.finish(response, refusal)) {
            network.record(node + "→" + caller.node + " " + what + " delivered");
          } else {
            network.record(
                node + "→" + caller.node + " " + what + " ignored (call already completed)");
          }
        });
  }

  private ClusterException asRefusal(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof ClusterException e) {
      // Only the code and the message cross a real wire.
      return new ClusterException(e.code(), e.getMessage());
    }
    return unavailable("the handler of " + node + " failed with " + t + ": see the log of " + node);
  }

  private void receiveSubscribe(SimulatedStream stream, Subscribe request) {
    if (stream.receiverDone || stream.isCut()) {
      network.record(
          stream.receiver.node
              + "→"
              + node
              + " "
              + stream.what
              + " ignored ("
              + stream
              + " already ended)");
      return;
    }
    if (!serving()) {
      stream.breakStream(node + " is not serving", network.noticeDelayNanos(), false);
      return;
    }
    if (network.partitioned(stream.receiver.node, node)) {
      stream.breakStream("network partition", network.noticeDelayNanos(), false);
      return;
    }
    stream.sender = this;
    served.add(stream);
    network.record(
        stream.receiver.node + "→" + node + " " + stream.what + " delivered, opening " + stream);
    try {
      handler.subscribe(stream.receiver.identity(), request, stream);
    } catch (RuntimeException e) {
      network.record(node + " handler threw " + e + " on " + stream.what);
      stream.breakStream(
          "the handler of " + node + " failed with " + e + ": see the log of " + node,
          network.noticeDelayNanos(),
          false);
      throw e;
    }
  }

  /** A call waiting for its answer. */
  private final class PendingCall {
    final Channel channel;
    final CompletableFuture<Response> future = new CompletableFuture<>();
    final String what;
    Scheduler.Cancellable timer;

    PendingCall(Channel channel, String what) {
      this.channel = channel;
      this.what = what;
    }

    /** Completes the call if it is still pending; returns whether it was. */
    boolean finish(Response response, ClusterException error) {
      if (!channel.pending.remove(this)) {
        return false;
      }
      timer.cancel();
      if (error == null) {
        future.complete(response);
      } else {
        future.completeExceptionally(error);
      }
      return true;
    }
  }

  /** A channel from this node to one address. */
  final class Channel implements PeerChannel {
    final NodeAddress peer;
    private boolean closed;
    private final Set<PendingCall> pending = new LinkedHashSet<>();
    // Streams this node receives over this channel.
    final Set<SimulatedStream> streams = new LinkedHashSet<>();

    Channel(NodeAddress peer) {
      this.peer = peer;
    }

    @Override
    public CompletableFuture<Response> call(Request request, Duration deadline) {
      requireNonNull(request, "request");
      requireNonNull(deadline, "deadline");
      PendingCall call = new PendingCall(this, MessageText.of(request));
      if (closed || !alive()) {
        call.future.completeExceptionally(
            unavailable("the channel from " + node + " to " + peer + " is closed: connect again"));
        return call.future;
      }
      pending.add(call);
      call.timer =
          network
              .wire()
              .schedule(
                  deadline,
                  () -> {
                    network.record(
                        node
                            + "→"
                            + peer
                            + " "
                            + call.what
                            + " deadline of "
                            + SimulatedNetwork.seconds(deadline.toNanos())
                            + " passed");
                    call.finish(
                        null,
                        unavailable(
                            "no answer from "
                                + peer
                                + " to "
                                + call.what
                                + " within "
                                + SimulatedNetwork.seconds(deadline.toNanos())
                                + ": the node may be down, overloaded or cut off"));
                  });
      SimulatedTransport target = network.serving(peer);
      if (target == null) {
        network
            .wire()
            .schedule(
                Duration.ofNanos(network.noticeDelayNanos()),
                () -> {
                  if (call.finish(
                      null,
                      unavailable(
                          "nothing listens at "
                              + peer
                              + ": check the address, or start the node there"))) {
                    network.record(node + "→" + peer + " " + call.what + " refused");
                  }
                });
        return call.future;
      }
      network.sendUnary(
          node,
          target.node,
          call.what,
          true,
          () -> target.receiveCall(SimulatedTransport.this, call, request));
      return call.future;
    }

    @Override
    public Subscription subscribe(Subscribe request, StreamObserver<ReplicationMessage> observer) {
      requireNonNull(request, "request");
      requireNonNull(observer, "observer");
      SimulatedStream stream =
          new SimulatedStream(
              network,
              network.nextStreamId(),
              SimulatedTransport.this,
              this,
              observer,
              MessageText.of(request));
      if (closed || !alive()) {
        stream.breakStream(
            "the channel from " + node + " to " + peer + " is closed: connect again", 0, false);
        return stream;
      }
      streams.add(stream);
      SimulatedTransport target = network.serving(peer);
      if (target == null) {
        stream.breakStream(
            "nothing listens at " + peer + ": check the address, or start the node there",
            network.noticeDelayNanos(),
            false);
        return stream;
      }
      if (network.partitioned(node, target.node)) {
        stream.breakStream("network partition", network.noticeDelayNanos(), false);
        return stream;
      }
      if (network.rollDrop()) {
        network.record(node + "→" + target.node + " " + stream.what + " dropped");
        stream.breakStream("subscription lost", network.noticeDelayNanos(), false);
        return stream;
      }
      network
          .wire()
          .schedule(
              Duration.ofNanos(network.messageDelayNanos()),
              () -> target.receiveSubscribe(stream, request));
      return stream;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      channels.remove(this);
      for (PendingCall call : List.copyOf(pending)) {
        network
            .wire()
            .execute(
                () ->
                    call.finish(
                        null,
                        unavailable(
                            "the channel from "
                                + node
                                + " to "
                                + peer
                                + " was closed before "
                                + call.what
                                + " was answered")));
      }
      for (SimulatedStream s : List.copyOf(streams)) {
        s.breakStream("the channel from " + node + " to " + peer + " was closed", 0, true);
      }
    }

    /** Forgets everything without a callback: this node crashed. */
    void abandon() {
      closed = true;
      channels.remove(this);
      for (PendingCall call : List.copyOf(pending)) {
        pending.remove(call);
        call.timer.cancel();
      }
      for (SimulatedStream s : List.copyOf(streams)) {
        s.breakStream(node + " crashed", -1, true);
      }
    }

    @Override
    public String toString() {
      return "channel " + node + "→" + peer + (closed ? " (closed)" : "");
    }
  }
}
