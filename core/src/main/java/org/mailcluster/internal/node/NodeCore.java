package org.mailcluster.internal.node;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterListener;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.NodeService;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.epoch.DivergenceRecorder;
import org.mailcluster.internal.epoch.Epochs;
import org.mailcluster.internal.epoch.RoleChange;
import org.mailcluster.internal.history.History;
import org.mailcluster.internal.membership.MemberRecord;
import org.mailcluster.internal.membership.Membership;
import org.mailcluster.internal.replication.HostFiles;
import org.mailcluster.internal.replication.LogWindow;
import org.mailcluster.internal.replication.PrimaryRole;
import org.mailcluster.internal.replication.RoleState;
import org.mailcluster.internal.replication.SecondaryRole;
import org.mailcluster.internal.services.NodeChecks;
import org.mailcluster.internal.services.NodeContext;
import org.mailcluster.internal.services.NodeServices;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.ConfigSource;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.spi.StateStore;
import org.mailcluster.transport.ClusterTransport;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;

/**
 * The state a node holds whatever its role, and the parts that every role uses: its settings,
 * transport, store and loop; the applied state and history; its epochs; its peers, services and
 * event log; and the role it has now. Everything but the volatile fields is touched only on the
 * loop. The role's own state lives in its {@link RoleState}, swapped by {@link #switchRole}.
 */
public final class NodeCore implements NodeContext {
  private final NodeSettings settings;
  private final ClusterTransport transport;
  private final StateStore store;
  private final Scheduler scheduler;
  private final NodeLoop loop;
  private final NodeEvents events;
  private final History history;
  private final LogWindow log = new LogWindow();
  private final Epochs epochs;
  private final Peers peers;
  private final ServiceRegistry services;
  private final HostFiles files;
  private final DivergenceRecorder divergence;
  private final RoleChange roleChange;
  private final DiagnosticsView diagnostics;
  private final List<ClusterListener> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> synced = new CompletableFuture<>();
  private NodeServices builtIn;
  private NodeChecks checks;
  private volatile ConfigSnapshot committed = ConfigSnapshot.empty();
  private ConfigSnapshot tip = ConfigSnapshot.empty();
  private volatile RoleState role;
  private volatile boolean closing;

  NodeCore(
      NodeSettings settings, ClusterTransport transport, StateStore store, Scheduler scheduler) {
    this.settings = requireNonNull(settings, "settings");
    this.transport = requireNonNull(transport, "transport");
    this.store = requireNonNull(store, "store");
    this.scheduler = requireNonNull(scheduler, "scheduler");
    this.loop = new NodeLoop(settings.id(), scheduler, () -> closing);
    this.diagnostics = new DiagnosticsView(this);
    this.events = new NodeEvents(scheduler, this::refreshDiagnostics);
    this.history = new History(settings.historyEntries(), settings.historyAge());
    this.epochs = new Epochs(store);
    this.peers = new Peers(transport);
    this.services = new ServiceRegistry(settings.id(), scheduler);
    this.files = new HostFiles(settings.configSource(), settings.registry());
    this.divergence = new DivergenceRecorder(this);
    this.roleChange = new RoleChange(this);
    this.role = initialRole(settings.role());
  }

  /** Completes construction with the parts built on this core; then diagnostics can be read. */
  void install(NodeServices builtIn, NodeChecks checks) {
    this.builtIn = builtIn;
    this.checks = checks;
    loop.context(
        new NodeLoop.Context() {
          @Override
          public String role() {
            return role.role().name();
          }

          @Override
          public String revision() {
            return committed.revision().toString();
          }
        });
    refreshDiagnostics();
  }

  private RoleState initialRole(Role r) {
    return r == Role.PRIMARY
        ? new PrimaryRole(this)
        : new SecondaryRole(this, settings.primaryAddress().orElse(null));
  }

  /** Takes the role recovered from the store, before anything of the node has started. */
  void recoveredRole(Role r) {
    if (r != role.role()) {
      role = initialRole(r);
    }
  }

  // ---- parts --------------------------------------------------------------------------

  public NodeSettings settings() {
    return settings;
  }

  public ClusterTransport transport() {
    return transport;
  }

  public StateStore store() {
    return store;
  }

  public Scheduler scheduler() {
    return scheduler;
  }

  public NodeLoop loop() {
    return loop;
  }

  public NodeEvents events() {
    return events;
  }

  public History history() {
    return history;
  }

  public LogWindow log() {
    return log;
  }

  public Epochs epochs() {
    return epochs;
  }

  public Peers peers() {
    return peers;
  }

  ServiceRegistry services() {
    return services;
  }

  public HostFiles files() {
    return files;
  }

  public DivergenceRecorder divergence() {
    return divergence;
  }

  public RoleChange roleChange() {
    return roleChange;
  }

  public NodeServices builtIn() {
    return builtIn;
  }

  public NodeChecks checks() {
    return checks;
  }

  public CompletableFuture<Void> synced() {
    return synced;
  }

  // ---- state --------------------------------------------------------------------------

  /** The state that is durable and visible: the last one committed or applied. */
  @Override
  public ConfigSnapshot configuration() {
    return committed;
  }

  public ConfigSnapshot committed() {
    return committed;
  }

  public void setCommitted(ConfigSnapshot state) {
    this.committed = state;
  }

  /** {@link #committed} plus the primary's commits not yet durable. */
  public ConfigSnapshot tip() {
    return tip;
  }

  public void setTip(ConfigSnapshot state) {
    this.tip = state;
  }

  public RoleState roleState() {
    return role;
  }

  @Override
  public Role role() {
    return role.role();
  }

  /** Leaves the current role for {@code next}; the old one is closed with {@code why} if given. */
  public void switchRole(RoleState next, ClusterException why) {
    RoleState previous = role;
    role = next;
    if (why != null) {
      previous.close(why);
    }
  }

  /**
   * The primary's role.
   *
   * @throws ClusterException with {@code NOT_PRIMARY}, naming the primary, on a secondary
   */
  public PrimaryRole asPrimary() {
    RoleState r = role;
    if (r instanceof PrimaryRole p) {
      return p;
    }
    throw ((SecondaryRole) r).notPrimary();
  }

  void closing() {
    closing = true;
  }

  @Override
  public boolean isClosing() {
    return closing;
  }

  @Override
  public Optional<NodeId> primary() {
    RoleState r = role;
    return r instanceof SecondaryRole s ? s.primary() : Optional.of(settings.id());
  }

  @Override
  public Optional<NodeAddress> primaryAddress() {
    RoleState r = role;
    return r instanceof SecondaryRole s ? s.primaryAddress() : Optional.of(settings.address());
  }

  @Override
  public long epoch() {
    return epochs.current();
  }

  /** The record of {@code id}, including commits not yet durable. */
  public Optional<MemberRecord> member(NodeId id) {
    return Membership.member(tip, id);
  }

  @Override
  public List<Member> members() {
    return Membership.members(committed);
  }

  /** This node's own record as a registered server in {@code asRole}. */
  public MemberRecord selfRecord(Role asRole) {
    return new MemberRecord(
        settings.address().toString(),
        asRole,
        settings.productVersion(),
        settings.licenceFingerprint());
  }

  // ---- listeners and files ------------------------------------------------------------

  @Override
  public void addListener(ClusterListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  /** Calls every listener; one that throws is logged and the others still get the call. */
  public void forEachListener(Consumer<ClusterListener> call) {
    for (ClusterListener l : listeners) {
      try {
        call.accept(l);
      } catch (RuntimeException e) {
        NodeEvents.CLUSTER_LOG.error("a cluster listener threw; the node goes on", e);
      }
    }
  }

  /** Tells the listeners of a new state, and of new members if {@code diff} touches them. */
  public void notifyChanged(ConfigSnapshot now, ConfigDiff diff) {
    forEachListener(l -> l.configurationChanged(now, diff));
    if (Membership.touchesMembers(diff)) {
      forEachListener(ClusterListener::membershipChanged);
    }
  }

  /** Watches the host's files; each edit reaches the role the node has when it arrives. */
  public void watchFiles(ConfigSource source) {
    source.watch(
        new ConfigSource.Listener() {
          @Override
          public void externalEdit(ConfigDiff diff) {
            loop.execute(() -> role.onHostFileEdit(diff));
          }

          @Override
          public void refused(ClusterException why) {
            loop.execute(
                () ->
                    events.error(
                        "a file edit was refused and not replicated: " + why.getMessage()));
          }

          @Override
          public void unreadable(String file, String problem) {
            loop.execute(
                () ->
                    events.error(
                        ErrorCode.CORRUPT_DATA,
                        file + " cannot be read and its edit was not replicated: " + problem));
          }
        });
  }

  // ---- services and calls -------------------------------------------------------------

  @Override
  public CompletableFuture<Revision> update(ConfigUpdate update) {
    requireNonNull(update, "update");
    return loop.call(() -> asPrimary().commit(update.origin(), update.changes()));
  }

  @Override
  public void registerService(String name, NodeService service) {
    services.registerOwn(name, service);
  }

  @Override
  public CompletableFuture<String> call(
      NodeId target, String service, String payload, Duration deadline) {
    return loop.call(
        () -> {
          if (target.equals(settings.id())) {
            return services.serve(PeerIdentity.of(target, "local"), service, payload);
          }
          return send(target, new Request.Forward(service, payload, epochs.current()), deadline)
              .thenApply(response -> ((Response.Forwarded) response).payload());
        });
  }

  @Override
  public CompletableFuture<Response> ask(
      NodeId target, LongFunction<Request> request, Duration deadline) {
    return loop.call(() -> send(target, request.apply(epochs.current()), deadline));
  }

  @Override
  public CompletableFuture<Response> send(NodeId target, Request request, Duration deadline) {
    Optional<NodeAddress> address;
    try {
      address = member(target).map(m -> NodeAddress.parse(m.address()));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return peers.send(target, address, request, deadline);
  }

  @Override
  public void warn(String message) {
    events.warn(message);
  }

  @Override
  public void error(String message) {
    events.error(message);
  }

  @Override
  public void diagnosticsChanged() {
    refreshDiagnostics();
  }

  /** Rebuilds the diagnostics; on the loop. */
  public void refreshDiagnostics() {
    if (builtIn != null) {
      diagnostics.refresh();
    }
  }

  DiagnosticsView diagnostics() {
    return diagnostics;
  }
}
