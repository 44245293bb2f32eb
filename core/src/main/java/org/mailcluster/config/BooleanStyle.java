package org.mailcluster.config;

/**
 * How a boolean setting is written back to a host file. Reading accepts every style, case
 * insensitively ({@code Yes/No}, {@code 1/0}, {@code true/false}, {@code on/off}), as Windows
 * programs write them; writing follows the host's convention.
 *
 * <pre>{@code
 * SettingType<Boolean> flag = SettingType.bool(BooleanStyle.ONE_ZERO); // writes "1" and "0"
 * }</pre>
 */
public enum BooleanStyle {
  /** {@code Yes} and {@code No}, as MDaemon-style INI files spell them. */
  YES_NO("Yes", "No"),
  /** {@code 1} and {@code 0}. */
  ONE_ZERO("1", "0"),
  /** {@code true} and {@code false}. */
  TRUE_FALSE("true", "false"),
  /** {@code On} and {@code Off}. */
  ON_OFF("On", "Off");

  private final String trueText;
  private final String falseText;

  BooleanStyle(String trueText, String falseText) {
    this.trueText = trueText;
    this.falseText = falseText;
  }

  /** Returns how {@code value} is written in this style. */
  public String write(boolean value) {
    return value ? trueText : falseText;
  }
}
