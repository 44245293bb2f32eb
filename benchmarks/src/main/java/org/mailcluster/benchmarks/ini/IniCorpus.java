package org.mailcluster.benchmarks.ini;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.util.SplittableRandom;

/** Inputs shared by the INI benchmark and the round-trip check. */
final class IniCorpus {
  static final Charset CP1252 = Charset.forName("windows-1252");

  private IniCorpus() {}

  /**
   * Returns an MDaemon-style file of at least {@code targetBytes}: many sections of 5 to 60 keys,
   * comments, blank lines, Windows paths, lists with ';', non-ASCII windows-1252 text, CRLF.
   * Seeded, so every run measures the same bytes.
   */
  static byte[] generate(int targetBytes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder(targetBytes + 4096);
    sb.append("; Generated MDaemon-style configuration for benchmarks\r\n\r\n");
    int section = 0;
    while (sb.length() < targetBytes) {
      sb.append("[Section").append(section).append("]\r\n");
      if (random.nextInt(4) == 0) {
        sb.append("; settings of area ").append(section).append(", edited by the admin\r\n");
      }
      int keys = 5 + random.nextInt(56);
      for (int k = 0; k < keys; k++) {
        sb.append("Key").append(k).append('=');
        switch (random.nextInt(6)) {
          case 0 ->
              sb.append("C:\\MDaemon\\Users\\domain").append(random.nextInt(1000)).append('\\');
          case 1 -> sb.append(random.nextInt(100_000));
          case 2 -> sb.append(random.nextBoolean() ? "Yes" : "No");
          case 3 -> sb.append("465;993;995;").append(random.nextInt(65_536));
          case 4 -> sb.append("Societ\u00e0 Esempio \u20ac").append(random.nextInt(100));
          default -> sb.append("mail").append(random.nextInt(50)).append(".example.com");
        }
        sb.append("\r\n");
      }
      sb.append("\r\n");
      section++;
    }
    return sb.toString().getBytes(CP1252);
  }

  static byte[] sample() {
    try (InputStream in = IniCorpus.class.getResourceAsStream("/ini/MDaemon.ini")) {
      if (in == null) {
        throw new IllegalStateException("resource /ini/MDaemon.ini is missing from the jar");
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
