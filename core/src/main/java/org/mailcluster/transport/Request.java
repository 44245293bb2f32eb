package org.mailcluster.transport;

import static java.util.Objects.requireNonNull;
import static org.mailcluster.transport.MessageLimits.count;
import static org.mailcluster.transport.MessageLimits.nonNegative;
import static org.mailcluster.transport.MessageLimits.text;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.screening.ScreeningStatus;

/**
 * A unary call from one node to another. The set is closed so that every transport maps every
 * message; each request states which {@link Response} answers it. Every field is checked against
 * its {@linkplain MessageLimits limit} when the request is built.
 *
 * <pre>{@code
 * channel.call(new Request.Ping(scheduler.now(), epoch), Duration.ofSeconds(2))
 *     .thenAccept(r -> clock.sample((Response.Pong) r, scheduler.now()));
 * }</pre>
 */
public sealed interface Request {
  /** The epoch the sender has seen: receivers refuse requests from a lower epoch than theirs. */
  long epoch();

  /**
   * A secondary asks to join (answered by {@link Response.Joined}). The primary checks protocol and
   * product versions (they must be equal) and that the licence-key fingerprint is unique.
   *
   * @param node the joining node's id
   * @param address where the joining node listens
   * @param protocolVersion the wire protocol version the node speaks, zero or more
   * @param productVersion the mail server's version, e.g. {@code 23.5.2}
   * @param licenceFingerprint a hash of the node's licence key; the key never travels
   * @param epoch the highest epoch the node has seen
   * @param applied the last revision the node applied ({@link Revision#INITIAL} if none)
   * @param genesis where the node's state began (empty if it holds none): a primary whose state
   *     began elsewhere, or is older than the node's, does not stream to it
   */
  record Join(
      NodeId node,
      NodeAddress address,
      int protocolVersion,
      String productVersion,
      String licenceFingerprint,
      long epoch,
      Revision applied,
      String genesis)
      implements Request {
    /** Checks the parts. */
    public Join {
      requireNonNull(node, "node");
      requireNonNull(address, "address");
      requireNonNull(productVersion, "productVersion");
      requireNonNull(licenceFingerprint, "licenceFingerprint");
      requireNonNull(applied, "applied");
      requireNonNull(genesis, "genesis");
      nonNegative("Join.protocolVersion", protocolVersion);
      text("Join.productVersion", productVersion, MessageLimits.PRODUCT_VERSION);
      text("Join.licenceFingerprint", licenceFingerprint, MessageLimits.LICENCE_FINGERPRINT);
      text("Join.genesis", genesis, MessageLimits.GENESIS);
      MessageLimits.epoch("Join.epoch", epoch);
    }

    /** A join of a node that holds no state yet. */
    public Join(
        NodeId node,
        NodeAddress address,
        int protocolVersion,
        String productVersion,
        String licenceFingerprint,
        long epoch) {
      this(
          node,
          address,
          protocolVersion,
          productVersion,
          licenceFingerprint,
          epoch,
          Revision.INITIAL,
          "");
    }
  }

  /**
   * A secondary reports what it has applied (answered by {@link Response.Acknowledged}).
   *
   * @param node the reporting node
   * @param epoch the epoch the node has seen
   * @param applied the last revision it applied durably
   * @param fingerprint the fingerprint of its state at that revision (divergence check)
   * @param written the last revision whose state the node wrote to its host's files, at most {@code
   *     applied}: lower while a write of those files keeps failing and is being retried
   */
  record Ack(NodeId node, long epoch, Revision applied, Fingerprint fingerprint, Revision written)
      implements Request {
    /** Checks the parts. */
    public Ack {
      requireNonNull(node, "node");
      requireNonNull(applied, "applied");
      requireNonNull(fingerprint, "fingerprint");
      requireNonNull(written, "written");
      MessageLimits.epoch("Ack.epoch", epoch);
      if (written.compareTo(applied) > 0) {
        throw new IllegalArgumentException(
            "Ack.written: " + written + " is after Ack.applied " + applied);
      }
    }

    /** An acknowledgement of a node whose files hold what it applied. */
    public Ack(NodeId node, long epoch, Revision applied, Fingerprint fingerprint) {
      this(node, epoch, applied, fingerprint, applied);
    }
  }

  /**
   * A clock sample and epoch probe (answered by {@link Response.Pong}): the sender's time when it
   * sent this, and whether the sender claims to be the primary of its epoch, so that two nodes that
   * both claim it learn of each other (split brain).
   *
   * @param sentAt the sender's wall-clock time at sending (NTP's t1)
   * @param epoch the epoch the sender has seen
   * @param primaryClaim whether the sender is the primary of {@code epoch}
   */
  record Ping(Instant sentAt, long epoch, boolean primaryClaim) implements Request {
    /** Checks the parts. */
    public Ping {
      requireNonNull(sentAt, "sentAt");
      MessageLimits.epoch("Ping.epoch", epoch);
    }

    /** A ping that claims no role. */
    public Ping(Instant sentAt, long epoch) {
      this(sentAt, epoch, false);
    }
  }

  /**
   * A request forwarded to a named service, such as dynamic screening on the primary (answered by
   * {@link Response.Forwarded}).
   *
   * @param service the service name, e.g. {@code screening}: 1 to {@value
   *     MessageLimits#SERVICE_NAME} characters
   * @param payload the service's request, typically JSON: at most {@value
   *     MessageLimits#FORWARD_PAYLOAD} characters
   * @param epoch the epoch the sender has seen
   */
  record Forward(String service, String payload, long epoch) implements Request {
    /** Checks the parts. */
    public Forward {
      requireNonNull(service, "service");
      requireNonNull(payload, "payload");
      if (service.isEmpty()) {
        throw new IllegalArgumentException("Forward.service: empty, a service needs a name");
      }
      text("Forward.service", service, MessageLimits.SERVICE_NAME);
      text("Forward.payload", payload, MessageLimits.FORWARD_PAYLOAD);
      MessageLimits.epoch("Forward.epoch", epoch);
    }
  }

  /**
   * A promotion candidate asks a server how it stands (answered by {@link Response.Status}): its
   * role, epochs and applied revision decide whether the candidate may be promoted.
   *
   * @param epoch the epoch the candidate has seen
   */
  record StatusQuery(long epoch) implements Request {
    /** Checks the parts. */
    public StatusQuery {
      MessageLimits.epoch("StatusQuery.epoch", epoch);
    }
  }

  /**
   * A promotion candidate asks a server to grant it an epoch (answered by {@link
   * Response.EpochGranted}): the server's vote, which it gives to one candidate per epoch only and
   * refuses for an epoch it has already seen or granted.
   *
   * @param candidate the node to be promoted
   * @param proposed the epoch it asks for, above any it has seen
   * @param forced whether the operator forced the promotion, so a server that still hears its
   *     primary grants the epoch all the same
   * @param epoch the epoch the candidate has seen
   */
  record EpochGrant(NodeId candidate, long proposed, boolean forced, long epoch)
      implements Request {
    /** Checks the parts. */
    public EpochGrant {
      requireNonNull(candidate, "candidate");
      MessageLimits.epoch("EpochGrant.proposed", proposed);
      MessageLimits.epoch("EpochGrant.epoch", epoch);
    }
  }

  /**
   * A secondary asks the primary to replace a secondary's state by a whole snapshot (answered by
   * {@link Response.Accepted} once the primary has started it).
   *
   * @param target the secondary to resynchronize
   * @param epoch the epoch the sender has seen
   */
  record Resync(NodeId target, long epoch) implements Request {
    /** Checks the parts. */
    public Resync {
      requireNonNull(target, "target");
      MessageLimits.epoch("Resync.epoch", epoch);
    }
  }

  /**
   * A secondary tells the primary it installed a whole snapshot (answered by {@link
   * Response.Accepted}), which completes a resync the primary started for it. The secondary is the
   * caller as the transport identified it.
   *
   * @param revision the snapshot's revision
   * @param epoch the epoch the secondary has seen
   */
  record SnapshotInstalled(Revision revision, long epoch) implements Request {
    /** Checks the parts. */
    public SnapshotInstalled {
      requireNonNull(revision, "revision");
      MessageLimits.epoch("SnapshotInstalled.epoch", epoch);
    }
  }

  /**
   * A node asks another for its time zone (answered by {@link Response.Zone}), to warn when the
   * servers of one cluster keep different zones.
   *
   * @param epoch the epoch the sender has seen
   */
  record ZoneQuery(long epoch) implements Request {
    /** Checks the parts. */
    public ZoneQuery {
      MessageLimits.epoch("ZoneQuery.epoch", epoch);
    }
  }

  /**
   * The shared-storage preflight: a node asks another to read, through its own mapping of a shared
   * path, the probe file the sender wrote there (answered by {@link Response.ProbeToken}).
   *
   * @param path the shared path, as the configuration writes it
   * @param file the probe file's name in that directory: a plain name of at most {@value
   *     MessageLimits#FILE_NAME} characters, without separators
   * @param epoch the epoch the sender has seen
   */
  record ProbeRead(StoragePath path, String file, long epoch) implements Request {
    /** Checks the parts. */
    public ProbeRead {
      requireNonNull(path, "path");
      requireNonNull(file, "file");
      text("ProbeRead.path", path.toString(), MessageLimits.STORAGE_PATH);
      text("ProbeRead.file", file, MessageLimits.FILE_NAME);
      if (file.isEmpty()
          || file.equals(".")
          || file.equals("..")
          || file.chars().anyMatch(c -> c == '/' || c == '\\' || c == ':' || c < 0x20)) {
        throw new IllegalArgumentException(
            "ProbeRead.file: '" + file + "' is not a plain file name");
      }
      MessageLimits.epoch("ProbeRead.epoch", epoch);
    }
  }

  /**
   * A primary being recovered asks the server it recovers from for one page of its whole state and
   * history (answered by {@link Response.StatePage}). Page 0 names the revision copied; every later
   * page asks for the same one, so a state that changed meanwhile is noticed.
   *
   * @param page the page asked for, from 0
   * @param at the revision page 0 answered with ({@link Revision#INITIAL} for page 0)
   * @param epoch the highest epoch the caller has seen
   */
  record StateCopy(int page, Revision at, long epoch) implements Request {
    /** Checks the parts. */
    public StateCopy {
      requireNonNull(at, "at");
      nonNegative("StateCopy.page", page);
      MessageLimits.epoch("StateCopy.epoch", epoch);
    }
  }

  /**
   * A secondary reports to the primary what it found about itself (answered by {@link
   * Response.Accepted}), so that the primary's diagnostics show every node's certificates and
   * screening. The reporting node is the caller as the transport identified it.
   *
   * @param certificates the node's checks of the cluster's certificates, at most {@value
   *     MessageLimits#CERTIFICATES}, each with at most {@value MessageLimits#CERTIFICATE_ITEMS}
   *     host names and problems and texts of at most {@value MessageLimits#REPORT_TEXT} characters
   * @param screening the node's screening status, if it runs screening
   * @param epoch the epoch the node has seen
   */
  record StatusReport(
      List<CertificateCheck> certificates, Optional<ScreeningStatus> screening, long epoch)
      implements Request {
    /** Copies the checks and checks the parts. */
    public StatusReport {
      certificates = List.copyOf(certificates);
      requireNonNull(screening, "screening");
      count("StatusReport.certificates", certificates, MessageLimits.CERTIFICATES);
      for (int i = 0; i < certificates.size(); i++) {
        check("StatusReport.certificates[" + i + "]", certificates.get(i));
      }
      screening.ifPresent(
          s -> {
            text("StatusReport.screening.mode", s.mode(), MessageLimits.REPORT_TEXT);
            nonNegative("StatusReport.screening.blocked", s.blocked());
            nonNegative("StatusReport.screening.allowed", s.allowed());
            nonNegative("StatusReport.screening.localChanges", s.localChanges());
            nonNegative("StatusReport.screening.replayed", s.replayed());
            nonNegative("StatusReport.screening.discarded", s.discarded());
          });
      MessageLimits.epoch("StatusReport.epoch", epoch);
    }

    private static void check(String field, CertificateCheck c) {
      int max = MessageLimits.REPORT_TEXT;
      text(field + ".name", c.name(), max);
      c.subject().ifPresent(s -> text(field + ".subject", s, max));
      c.file().ifPresent(f -> text(field + ".file", f, max));
      count(field + ".hostNames", c.hostNames(), MessageLimits.CERTIFICATE_ITEMS);
      for (int i = 0; i < c.hostNames().size(); i++) {
        text(field + ".hostNames[" + i + "]", c.hostNames().get(i), max);
      }
      count(field + ".problems", c.problems(), MessageLimits.CERTIFICATE_ITEMS);
      for (int i = 0; i < c.problems().size(); i++) {
        text(field + ".problems[" + i + "]", c.problems().get(i), max);
      }
    }
  }
}
