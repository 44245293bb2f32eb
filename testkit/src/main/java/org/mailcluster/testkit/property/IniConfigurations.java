package org.mailcluster.testkit.property;

import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;

/**
 * Random INI-shaped configurations for property tests, drawn from a seeded {@link
 * SplittableRandom}: keys of {@code MDaemon.ini}-like files that collide often (a few sections,
 * with letter-case variants and non-ASCII names) and values as mail-server INI files hold them.
 *
 * <pre>{@code
 * SplittableRandom random = new SplittableRandom(seed);
 * ConfigSnapshot before = IniConfigurations.configuration(random, 20);
 * }</pre>
 */
public final class IniConfigurations {
  private static final List<String> SECTIONS =
      List.of("Directories", "Special", "SSL", "Société", "special");
  private static final String KEY_CHARS = "ABCabcé";
  private static final List<String> FIXED_VALUES =
      List.of("Yes", "No", "1", "0", "", "465;993;995");
  private static final String PATH_CHARS = "C:\\MDaemonUsers ";

  private IniConfigurations() {}

  /**
   * Returns the state key of an INI-backed setting: one of five sections and a key of 1 to 3
   * letters of {@code ABCabcé}.
   */
  public static String key(SplittableRandom random) {
    String section = SECTIONS.get(random.nextInt(SECTIONS.size()));
    return SettingKey.ini("MDaemon.ini", section, chars(random, KEY_CHARS, 1, 3)).stateKey();
  }

  /**
   * Returns a value, one of four kinds equally often: a flag, number or list ({@code Yes}, {@code
   * 0}, {@code 465;993;995}, the empty string), a path-like string of up to 30 characters, a port
   * number, or any text of up to 60 characters.
   */
  public static String value(SplittableRandom random) {
    return switch (random.nextInt(4)) {
      case 0 -> FIXED_VALUES.get(random.nextInt(FIXED_VALUES.size()));
      case 1 -> chars(random, PATH_CHARS, 0, 30);
      case 2 -> String.valueOf(random.nextInt(65536));
      default -> text(random, 60);
    };
  }

  /**
   * Returns a configuration of up to {@code maxKeys} INI-backed keys (fewer where keys collide).
   */
  public static ConfigSnapshot configuration(SplittableRandom random, int maxKeys) {
    if (maxKeys < 0) {
      throw new IllegalArgumentException("maxKeys must be 0 or more but was " + maxKeys);
    }
    TreeMap<String, String> content = new TreeMap<>();
    for (int i = random.nextInt(maxKeys + 1); i > 0; i--) {
      content.put(key(random), value(random));
    }
    return ConfigSnapshot.of(content);
  }

  private static String chars(SplittableRandom random, String alphabet, int min, int max) {
    int length = random.nextInt(min, max + 1);
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return b.toString();
  }

  /** Any text: ASCII mostly, then Latin-1, other scripts and supplementary characters. */
  private static String text(SplittableRandom random, int maxChars) {
    int length = random.nextInt(maxChars + 1);
    StringBuilder b = new StringBuilder(length);
    while (b.length() < length) {
      int kind = random.nextInt(10);
      int cp =
          kind < 6
              ? random.nextInt(0x20, 0x7F)
              : kind < 8
                  ? random.nextInt(0xA0, 0x100)
                  : kind < 9 ? random.nextInt(0x100, 0xD800) : random.nextInt(0x1F300, 0x1F650);
      if (Character.charCount(cp) <= length - b.length()) {
        b.appendCodePoint(cp);
      }
    }
    return b.toString();
  }
}
