package org.mailcluster.internal.services;

import java.nio.file.Path;
import java.util.Optional;
import org.mailcluster.screening.ScreeningPolicy;

/** How the services built into a node are set up; validated by the public builder. */
public record ServiceOptions(
    ScreeningPolicy screeningPolicy, int mailEventBuffer, Optional<Path> certificateDirectory) {
  /** Mail events buffered per unreachable node if the builder was not told otherwise. */
  public static final int DEFAULT_MAIL_EVENT_BUFFER = 10_000;
}
