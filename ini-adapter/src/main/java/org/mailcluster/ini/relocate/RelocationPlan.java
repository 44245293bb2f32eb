package org.mailcluster.ini.relocate;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.SettingKey;
import org.mailcluster.ini.MailServerProfile.SharedFolder;
import org.mailcluster.paths.StoragePath;

/**
 * What a relocation would change: every shared folder's INI key, old → new, and the folder contents
 * that would move. Made by {@link PathRelocator#plan}; nothing changes until it is applied.
 *
 * <pre>{@code
 * RelocationPlan plan = relocator.plan(configuration);
 * System.out.print(plan.render());
 * if (plan.restartRequired()) {
 *   host.scheduleRestart();
 * }
 * }</pre>
 *
 * @param sharedRoot the shared root everything goes under
 * @param changes one change per shared folder of the profile, in the profile's order
 */
public record RelocationPlan(StoragePath sharedRoot, List<Change> changes) {
  /** Copies the list. */
  public RelocationPlan {
    requireNonNull(sharedRoot, "sharedRoot");
    changes = List.copyOf(changes);
  }

  /**
   * One INI key of the plan.
   *
   * @param folder which shared folder the key holds
   * @param key the INI key
   * @param oldValue its current value, if set
   * @param newValue its value after the relocation
   * @param restartRequired whether the mail server must restart to use the new value (PEM, R15)
   * @param note why the value is what it is, for the operator (may be empty)
   * @param move the content that would move, if any
   */
  public record Change(
      SharedFolder folder,
      SettingKey key,
      Optional<String> oldValue,
      String newValue,
      boolean restartRequired,
      String note,
      Optional<Move> move) {
    /** Checks the parts. */
    public Change {
      requireNonNull(folder, "folder");
      requireNonNull(key, "key");
      requireNonNull(oldValue, "oldValue");
      requireNonNull(newValue, "newValue");
      requireNonNull(note, "note");
      requireNonNull(move, "move");
    }

    /** Returns whether the key's value changes. */
    public boolean changes() {
      return !oldValue.equals(Optional.of(newValue));
    }
  }

  /**
   * A folder whose content would be copied to its new place.
   *
   * @param folder the shared folder
   * @param from where its content is now
   * @param to where it goes
   */
  public record Move(SharedFolder folder, StoragePath from, StoragePath to) {
    /** Checks the parts. */
    public Move {
      requireNonNull(folder, "folder");
      requireNonNull(from, "from");
      requireNonNull(to, "to");
    }
  }

  /** Returns the folder contents that would move, in the plan's order. */
  public List<Move> moves() {
    return changes.stream().flatMap(c -> c.move().stream()).toList();
  }

  /** Returns whether the mail server must restart after the keys change. */
  public boolean restartRequired() {
    return changes.stream().anyMatch(Change::restartRequired);
  }

  /** Returns whether any key's value changes. */
  public boolean changesKeys() {
    return changes.stream().anyMatch(Change::changes);
  }

  /**
   * Returns the key changes as one configuration update (unchanged keys left out).
   *
   * @throws IllegalStateException if no key changes ({@link #changesKeys()} is false)
   */
  public ConfigUpdate toUpdate(String origin) {
    if (!changesKeys()) {
      throw new IllegalStateException(
          "every folder is already at its place under " + sharedRoot + ": nothing to change");
    }
    ConfigUpdate.Builder u = ConfigUpdate.builder(origin);
    for (Change c : changes) {
      if (c.changes()) {
        u.setRaw(c.key(), c.newValue());
      }
    }
    return u.build();
  }

  /** Renders the dry run: every key, old → new, then the content that would move. */
  public String render() {
    StringBuilder b = new StringBuilder();
    b.append("Relocation to ").append(sharedRoot).append(" (dry run: nothing was changed)\n");
    b.append("INI keys:\n");
    int width = 0;
    for (Change c : changes) {
      width = Math.max(width, label(c).length());
    }
    for (Change c : changes) {
      String label = label(c);
      b.append("  ").append(label).append(" ".repeat(width - label.length())).append("  ");
      b.append(c.oldValue().orElse("(unset)")).append(" → ").append(c.newValue());
      if (!c.changes()) {
        b.append("  (unchanged)");
      }
      if (!c.note().isEmpty()) {
        b.append("\n  ").append(" ".repeat(width + 2)).append("(").append(c.note()).append(")");
      }
      b.append('\n');
    }
    List<Move> moves = moves();
    b.append(moves.isEmpty() ? "No content to move.\n" : "Content to move (when asked):\n");
    for (Move m : moves) {
      b.append("  ")
          .append(m.from().toDirectoryString())
          .append(" → ")
          .append(m.to().toDirectoryString())
          .append('\n');
    }
    if (restartRequired()) {
      b.append("The mail server must be restarted after the keys change.\n");
    }
    return b.toString();
  }

  private static String label(Change c) {
    return c.key().iniFile().orElse("") + " " + c.key().displayName() + ":";
  }
}
