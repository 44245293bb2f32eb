package org.mailcluster.clock;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

/**
 * A peer in another process for {@link ClockRealProcessTest}: it answers clock samples on stdin and
 * stdout with its own wall clock, optionally running {@code args[0]} (an ISO duration) ahead, and
 * with its own JVM's time zone (set by {@code -Duser.timezone}).
 *
 * <p>Protocol, one line each way: {@code PING} → {@code PONG <t2> <t3>}; {@code ZONE} → {@code ZONE
 * <zone id> <current UTC offset>}; end of input → exit.
 */
public final class ClockChild {
  private ClockChild() {}

  public static void main(String[] args) throws Exception {
    Duration skew = Duration.parse(args[0]);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    ZoneId zone = ZoneId.systemDefault();
    out.println("READY " + zone.getId());
    String line;
    while ((line = in.readLine()) != null) {
      Instant t2 = Instant.now().plus(skew);
      if (line.equals("PING")) {
        out.println("PONG " + t2 + " " + Instant.now().plus(skew));
      } else if (line.equals("ZONE")) {
        out.println("ZONE " + zone.getId() + " " + zone.getRules().getOffset(t2).getId());
      } else {
        out.println("ERROR unknown request " + line);
      }
    }
  }
}
