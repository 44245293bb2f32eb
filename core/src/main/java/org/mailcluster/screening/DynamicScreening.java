package org.mailcluster.screening;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Dynamic screening for one node (requirements R18, R19 and B4 in docs/REQUIREMENTS.md). Every
 * check and update goes to the primary, whose screening data replicates to all nodes. While the
 * primary cannot be reached, a secondary decides on its own on the last replicated state and
 * records what it changed; when the primary returns, those changes are discarded ({@link
 * ScreeningPolicy#OVERWRITE}, the default) or sent to the primary first ({@link
 * ScreeningPolicy#REPLAY}). Repeated requests (a replay of a request the primary had already
 * applied) are applied once.
 *
 * <p>An address is blocked after {@value #MAX_FAILURES} failed logins within {@code 10} minutes,
 * for {@code 30} minutes, unless it is on the allow-list.
 *
 * <pre>{@code
 * DynamicScreening screening = cluster.screening();
 * if (screening.check(remoteIp).join().blocked()) {
 *   connection.reject();
 * } else if (!authenticated) {
 *   screening.failedLogin(remoteIp);
 * }
 * }</pre>
 */
public interface DynamicScreening {
  /** Failed logins within the window that block an address. */
  int MAX_FAILURES = 5;

  /** How long a failed login counts. */
  Duration FAILURE_WINDOW = Duration.ofMinutes(10);

  /** How long an address stays blocked after too many failed logins. */
  Duration BLOCK_DURATION = Duration.ofMinutes(30);

  /** Tells whether {@code address} is blocked now. */
  CompletableFuture<ScreeningVerdict> check(String address);

  /** Counts a failed login from {@code address}, blocking it at the limit. */
  CompletableFuture<ScreeningVerdict> failedLogin(String address);

  /** Blocks {@code address} for {@code duration}, with a reason for the log. */
  CompletableFuture<ScreeningVerdict> block(String address, Duration duration, String reason);

  /** Lifts a block and clears the failure count of {@code address}. */
  CompletableFuture<ScreeningVerdict> unblock(String address);

  /** Puts {@code address} on the allow-list: it is never blocked. */
  CompletableFuture<ScreeningVerdict> allow(String address);

  /** Returns this node's screening state. */
  ScreeningStatus status();
}
