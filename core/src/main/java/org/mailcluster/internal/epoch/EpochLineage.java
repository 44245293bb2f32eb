package org.mailcluster.internal.epoch;

import java.util.HexFormat;
import java.util.Optional;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeId;

/**
 * Which revisions a replicated state descends from (promotion, requirement B3 in
 * docs/REQUIREMENTS.md). Every promotion commits, as the first revision of its epoch, the key
 * {@code epoch/<n>} = {@code "<primary> <base>"}: the node promoted and the last revision it had
 * when it took over. A revision {@code r} of an older epoch belongs to the state's history if, at
 * the first promotion after {@code r}'s epoch, the promoted node had reached {@code r}; revisions
 * of an epoch whose primary was fenced off after the base are not part of it (they are the ones a
 * returning primary saves to its divergence file).
 *
 * <p>Revisions are unique across the cluster because only one node is primary in an epoch.
 */
public final class EpochLineage {
  public static final String NAMESPACE = "epoch";

  private EpochLineage() {}

  public static String stateKey(long epoch) {
    return SettingKey.of(NAMESPACE, Long.toString(epoch)).stateKey();
  }

  /**
   * The key that names where the replicated state began: {@code "<primary> <token>"}, committed by
   * the first primary of a cluster in its first revision (or by the first start of a primary whose
   * state predates it), and never changed afterwards. Two states with different geneses do not
   * descend from one another: one of them was lost and begun anew, or belongs to another cluster.
   */
  public static final String GENESIS_KEY = SettingKey.of(NAMESPACE, "genesis").stateKey();

  /** The genesis token of {@code state}, or empty if it has none yet. */
  public static String genesis(ConfigSnapshot state) {
    return state.get(GENESIS_KEY).map(v -> v.substring(v.lastIndexOf(' ') + 1)).orElse("");
  }

  /** A new genesis value for {@code primary}: its id and 32 random hexadecimal digits. */
  public static String newGenesis(NodeId primary, java.util.random.RandomGenerator random) {
    return primary.value()
        + " "
        + HexFormat.of().toHexDigits(random.nextLong())
        + HexFormat.of().toHexDigits(random.nextLong());
  }

  public static boolean isLineageKey(String stateKey) {
    return stateKey.startsWith(NAMESPACE + "/");
  }

  public static String value(NodeId primary, Revision base) {
    return primary.value() + " " + base;
  }

  /** Returns the revision the primary of {@code epoch} started from, if the state records it. */
  public static Optional<Revision> base(ConfigSnapshot state, long epoch) {
    return state
        .get(stateKey(epoch))
        .map(
            v -> {
              int space = v.lastIndexOf(' ');
              return Revision.parse(v.substring(space + 1));
            });
  }

  /** Returns the node promoted for {@code epoch}, if the state records it. */
  public static Optional<NodeId> primaryOf(ConfigSnapshot state, long epoch) {
    return state.get(stateKey(epoch)).map(v -> NodeId.of(v.substring(0, v.indexOf(' '))));
  }

  /** Returns whether {@code r} is one of the revisions that led to {@code state}. */
  public static boolean contains(ConfigSnapshot state, Revision r) {
    Revision head = state.revision();
    if (r.compareTo(head) > 0) {
      return false;
    }
    for (long e = r.epoch() + 1; e <= head.epoch(); e++) {
      Optional<Revision> base = base(state, e);
      if (base.isPresent()) {
        return r.compareTo(base.get()) <= 0;
      }
    }
    return true;
  }
}
