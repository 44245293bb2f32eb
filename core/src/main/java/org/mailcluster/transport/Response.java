package org.mailcluster.transport;

import static java.util.Objects.requireNonNull;
import static org.mailcluster.transport.MessageLimits.text;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.mailcluster.Role;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;

/**
 * The answer to a {@link Request}. Refusals are not responses: they fail the call's future with a
 * {@link org.mailcluster.ClusterException}. Every field is checked against its {@linkplain
 * MessageLimits limit} when the response is built.
 */
public sealed interface Response {
  /** The epoch the responder has seen. */
  long epoch();

  /**
   * The join was accepted.
   *
   * @param primary the primary that accepted it
   * @param epoch the primary's epoch
   * @param latest the primary's latest committed revision
   * @param genesis where the primary's state began (empty if it holds none)
   */
  record Joined(NodeId primary, long epoch, Revision latest, String genesis) implements Response {
    /** Checks the parts. */
    public Joined {
      requireNonNull(primary, "primary");
      requireNonNull(latest, "latest");
      requireNonNull(genesis, "genesis");
      MessageLimits.epoch("Joined.epoch", epoch);
      if (genesis.length() > MessageLimits.GENESIS) {
        throw new IllegalArgumentException(
            "Joined.genesis: "
                + genesis.length()
                + " characters, at most "
                + MessageLimits.GENESIS);
      }
    }

    /** An answer that names no genesis. */
    public Joined(NodeId primary, long epoch, Revision latest) {
      this(primary, epoch, latest, "");
    }
  }

  /**
   * The acknowledgement was recorded.
   *
   * @param epoch the primary's epoch
   */
  record Acknowledged(long epoch) implements Response {
    /** Checks the parts. */
    public Acknowledged {
      MessageLimits.epoch("Acknowledged.epoch", epoch);
    }
  }

  /**
   * The answer to a {@link Request.Ping}: NTP's t1, t2 and t3.
   *
   * @param pingSentAt the ping's {@code sentAt}, echoed (t1)
   * @param receivedAt the responder's time on receipt (t2)
   * @param sentAt the responder's time on answering (t3)
   * @param epoch the responder's epoch
   * @param primaryClaim whether the responder is the primary of {@code epoch} (split brain when the
   *     pinging node claims the same)
   */
  record Pong(
      Instant pingSentAt, Instant receivedAt, Instant sentAt, long epoch, boolean primaryClaim)
      implements Response {
    /** Checks the parts. */
    public Pong {
      requireNonNull(pingSentAt, "pingSentAt");
      requireNonNull(receivedAt, "receivedAt");
      requireNonNull(sentAt, "sentAt");
      MessageLimits.epoch("Pong.epoch", epoch);
    }

    /** A pong that claims no role. */
    public Pong(Instant pingSentAt, Instant receivedAt, Instant sentAt, long epoch) {
      this(pingSentAt, receivedAt, sentAt, epoch, false);
    }
  }

  /**
   * A forwarded request's answer.
   *
   * @param payload the service's answer, typically JSON: at most {@value
   *     MessageLimits#FORWARD_PAYLOAD} characters
   * @param epoch the primary's epoch
   */
  record Forwarded(String payload, long epoch) implements Response {
    /** Checks the parts. */
    public Forwarded {
      requireNonNull(payload, "payload");
      text("Forwarded.payload", payload, MessageLimits.FORWARD_PAYLOAD);
      MessageLimits.epoch("Forwarded.epoch", epoch);
    }
  }

  /**
   * How a server stands, for a promotion candidate ({@link Request.StatusQuery}).
   *
   * @param role the server's role
   * @param epoch the highest epoch it has seen
   * @param promised the highest epoch it granted to a candidate
   * @param revision the last revision it applied
   * @param hearsPrimary whether it is a secondary that heard from its primary recently
   * @param primary the primary it follows (itself on the primary), if it knows one; a secondary
   *     that was given another secondary's address follows this one instead
   * @param primaryAddress where that primary listens, if known: at most {@value
   *     MessageLimits#ADDRESS} characters
   */
  record Status(
      Role role,
      long epoch,
      long promised,
      Revision revision,
      boolean hearsPrimary,
      Optional<NodeId> primary,
      Optional<NodeAddress> primaryAddress)
      implements Response {
    /** Checks the parts. */
    public Status {
      requireNonNull(role, "role");
      requireNonNull(revision, "revision");
      requireNonNull(primary, "primary");
      requireNonNull(primaryAddress, "primaryAddress");
      MessageLimits.epoch("Status.epoch", epoch);
      MessageLimits.epoch("Status.promised", promised);
      primaryAddress.ifPresent(
          a -> text("Status.primaryAddress", a.toString(), MessageLimits.ADDRESS));
    }

    /** A status that names no primary. */
    public Status(Role role, long epoch, long promised, Revision revision, boolean hearsPrimary) {
      this(role, epoch, promised, revision, hearsPrimary, Optional.empty(), Optional.empty());
    }
  }

  /**
   * A server granted a candidate the epoch it asked for ({@link Request.EpochGrant}).
   *
   * @param granted the epoch granted
   * @param revision the last revision the server applied
   * @param epoch the highest epoch the server has seen
   */
  record EpochGranted(long granted, Revision revision, long epoch) implements Response {
    /** Checks the parts. */
    public EpochGranted {
      requireNonNull(revision, "revision");
      MessageLimits.epoch("EpochGranted.granted", granted);
      MessageLimits.epoch("EpochGranted.epoch", epoch);
    }
  }

  /**
   * The request was taken, and needs no other answer: a {@link Request.Resync} was started, a
   * {@link Request.SnapshotInstalled} or a {@link Request.StatusReport} recorded.
   *
   * @param epoch the responder's epoch
   */
  record Accepted(long epoch) implements Response {
    /** Checks the parts. */
    public Accepted {
      MessageLimits.epoch("Accepted.epoch", epoch);
    }
  }

  /**
   * A server's time zone ({@link Request.ZoneQuery}).
   *
   * @param zone its zone, an id of at most {@value MessageLimits#ZONE_ID} characters
   * @param offset the zone's offset from UTC at the time of answering
   * @param epoch the server's epoch
   */
  record Zone(ZoneId zone, ZoneOffset offset, long epoch) implements Response {
    /** Checks the parts. */
    public Zone {
      requireNonNull(zone, "zone");
      requireNonNull(offset, "offset");
      text("Zone.zone", zone.getId(), MessageLimits.ZONE_ID);
      MessageLimits.epoch("Zone.epoch", epoch);
    }
  }

  /**
   * What a server read from a storage probe file ({@link Request.ProbeRead}): the same token as the
   * one written if both servers reach the same storage.
   *
   * @param token the file's content, at most {@value MessageLimits#PROBE_TOKEN} characters
   * @param epoch the server's epoch
   */
  record ProbeToken(String token, long epoch) implements Response {
    /** Checks the parts. */
    public ProbeToken {
      requireNonNull(token, "token");
      text("ProbeToken.token", token, MessageLimits.PROBE_TOKEN);
      MessageLimits.epoch("ProbeToken.epoch", epoch);
    }
  }

  /**
   * One page of a server's whole state and retained history ({@link Request.StateCopy}): page
   * {@code n} carries the keys from position {@code n * KEYS_PER_PAGE} in key order and the history
   * entries from position {@code n * ENTRIES_PER_PAGE}, oldest first.
   *
   * @param revision the revision of the state copied
   * @param fingerprint the fingerprint of the whole state at that revision
   * @param historyBase the revision the first history entry follows
   * @param page this page's number
   * @param last whether this is the final page
   * @param keys this page's keys and values
   * @param history this page's history entries
   * @param epoch the highest epoch the server has seen
   */
  record StatePage(
      Revision revision,
      Fingerprint fingerprint,
      Revision historyBase,
      int page,
      boolean last,
      SortedMap<String, String> keys,
      List<LogEntry> history,
      long epoch)
      implements Response {
    /** Keys in one page. */
    public static final int KEYS_PER_PAGE = 1024;

    /** History entries in one page. */
    public static final int ENTRIES_PER_PAGE = 256;

    /** Checks the parts and copies the collections. */
    public StatePage {
      requireNonNull(revision, "revision");
      requireNonNull(fingerprint, "fingerprint");
      requireNonNull(historyBase, "historyBase");
      if (page < 0) {
        throw new IllegalArgumentException("StatePage.page: " + page + ", at least 0");
      }
      MessageLimits.count("StatePage.keys", keys.keySet(), MessageLimits.KEYS_PER_CHUNK);
      MessageLimits.count("StatePage.history", history, MessageLimits.ENTRIES_PER_MESSAGE);
      keys = Collections.unmodifiableSortedMap(new TreeMap<>(keys));
      history = List.copyOf(history);
      MessageLimits.epoch("StatePage.epoch", epoch);
    }
  }
}
