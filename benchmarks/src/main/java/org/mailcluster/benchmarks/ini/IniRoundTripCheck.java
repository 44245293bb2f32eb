package org.mailcluster.benchmarks.ini;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Reads and writes {@code samples/MDaemon.ini} (and the generated benchmark input) with each
 * library and says whether the bytes came back identical, and where they first differ.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.mailcluster.benchmarks.ini.IniRoundTripCheck
 * </pre>
 */
public final class IniRoundTripCheck {
  private IniRoundTripCheck() {}

  /** Prints one line per library and input; exits with 1 if ours does not round-trip. */
  public static void main(String[] args) {
    Map<String, byte[]> inputs = new LinkedHashMap<>();
    inputs.put("samples/MDaemon.ini", IniCorpus.sample());
    inputs.put("generated 10 MB", IniCorpus.generate(10 * 1024 * 1024, 42));
    Map<String, UnaryOperator<byte[]>> libraries = new LinkedHashMap<>();
    libraries.put("mailcluster IniDocument", IniPeers::ours);
    libraries.put("ini4j 0.5.4", b -> IniPeers.ini4j(b, IniCorpus.CP1252));
    libraries.put(
        "commons-configuration2 2.15.1", b -> IniPeers.commonsConfiguration(b, IniCorpus.CP1252));
    boolean oursOk = true;
    for (Map.Entry<String, byte[]> input : inputs.entrySet()) {
      for (Map.Entry<String, UnaryOperator<byte[]>> lib : libraries.entrySet()) {
        byte[] in = input.getValue();
        byte[] out = lib.getValue().apply(in);
        int at = Arrays.mismatch(in, out);
        String verdict =
            at < 0
                ? "byte-identical"
                : "DIFFERS at byte "
                    + at
                    + " (in "
                    + in.length
                    + " bytes, out "
                    + out.length
                    + " bytes): "
                    + excerpt(in, at)
                    + " -> "
                    + excerpt(out, at);
        System.out.printf("%-22s %-30s %s%n", input.getKey(), lib.getKey(), verdict);
        if (lib.getKey().startsWith("mailcluster") && at >= 0) {
          oursOk = false;
        }
      }
    }
    if (!oursOk) {
      System.exit(1);
    }
  }

  private static String excerpt(byte[] b, int at) {
    int from = Math.max(0, at - 8);
    int to = Math.min(b.length, at + 16);
    StringBuilder sb = new StringBuilder("\"");
    for (int i = from; i < to; i++) {
      int c = b[i] & 0xFF;
      if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c < 0x20 || c >= 0x7F) {
        sb.append(String.format("\\x%02X", c));
      } else {
        sb.append((char) c);
      }
    }
    return sb.append('"').toString();
  }
}
