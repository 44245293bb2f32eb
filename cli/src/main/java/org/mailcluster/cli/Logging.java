package org.mailcluster.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.Duration;
import ch.qos.logback.core.util.FileSize;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Where the command's logs go. The commands configure Logback in code, so the jar needs no
 * configuration file and each command chooses what an operator sees: the demo and the one-shot
 * commands only warnings and errors (or nothing, so that their own output stays readable), the node
 * agent everything from INFO on, to the console and to its log file.
 */
final class Logging {
  private static final String PATTERN =
      "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%X{node:-}] %logger{0} - %msg%n";

  private Logging() {}

  /** Warnings and errors to standard error, or nothing at all when {@code level} is OFF. */
  static void console(Level level) {
    LoggerContext context = reset(level);
    if (level != Level.OFF) {
      root(context).addAppender(consoleAppender(context));
    }
  }

  /**
   * How the log file rotates: when it reaches {@code fileBytes}, {@code mailcluster.log} becomes
   * {@code mailcluster.1.log} (the older ones move up by one) and a new file begins; of the
   * archives, the newest {@code files - 1} are kept. So the log takes at most {@code files *
   * fileBytes} bytes on disk, plus one line.
   *
   * @param fileBytes the size at which the file rotates, at least 1 KiB
   * @param files how many files are kept, the current one included: 2 to {@value #MAX_FILES}
   */
  record Rotation(long fileBytes, int files) {
    /** FixedWindowRollingPolicy keeps at most 20 archives. */
    static final int MAX_FILES = 21;

    Rotation {
      if (fileBytes < 1024) {
        throw new IllegalArgumentException(
            "the log file size must be at least 1KB, not " + fileBytes + " bytes");
      }
      if (files < 2 || files > MAX_FILES) {
        throw new IllegalArgumentException(
            "the number of log files must be 2 to " + MAX_FILES + ", not " + files);
      }
    }

    /** 10 MiB files, ten of them: at most 100 MiB. */
    static Rotation defaults() {
      return new Rotation(10L * 1024 * 1024, 10);
    }

    long totalBytes() {
      return fileBytes * files;
    }
  }

  /**
   * Everything from {@code level} on to standard error and to {@code file} (appended), which
   * rotates as {@code rotation} says.
   */
  static void consoleAndFile(Level level, Path file, Rotation rotation) {
    LoggerContext context = reset(level);
    Logger root = root(context);
    root.addAppender(consoleAppender(context));
    Path absolute = file.toAbsolutePath();
    RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
    appender.setContext(context);
    appender.setName("file");
    appender.setFile(absolute.toString());
    appender.setAppend(true);
    appender.setEncoder(encoder(context));
    // Fixed window rather than size-and-time: the cap is then exact and enforced at each
    // rollover in the logging thread, not by a background clean-up that may lag behind a flood.
    FixedWindowRollingPolicy window = new FixedWindowRollingPolicy();
    window.setContext(context);
    window.setParent(appender);
    window.setFileNamePattern(archivePattern(absolute));
    window.setMinIndex(1);
    window.setMaxIndex(rotation.files() - 1);
    SizeBasedTriggeringPolicy<ILoggingEvent> size = new SizeBasedTriggeringPolicy<>();
    size.setContext(context);
    size.setMaxFileSize(new FileSize(rotation.fileBytes()));
    // Check the size at every event (a stat call): by default Logback checks at most every 60 ms,
    // and a burst could run far past the cap meanwhile.
    size.setCheckIncrement(Duration.buildByMilliseconds(0));
    appender.setRollingPolicy(window);
    appender.setTriggeringPolicy(size);
    window.start();
    size.start();
    appender.start();
    root.addAppender(appender);
  }

  /** {@code dir/mailcluster-mx1.log} rotates to {@code dir/mailcluster-mx1.1.log} and so on. */
  static String archivePattern(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String archive = dot > 0 ? name.substring(0, dot) + ".%i" + name.substring(dot) : name + ".%i";
    return file.resolveSibling(archive).toString();
  }

  /** Flushes and closes every appender; later log calls are dropped. */
  static void stop() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
  }

  private static LoggerContext reset(Level level) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    // gRPC and Netty log through java.util.logging: route it here, so that their warnings reach
    // the same console and log file as the cluster's, and let Logback's levels set JUL's, so that
    // a disabled JUL message costs nothing.
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
    LevelChangePropagator propagator = new LevelChangePropagator();
    propagator.setContext(context);
    propagator.setResetJUL(true);
    propagator.start();
    context.addListener(propagator);
    root(context).setLevel(level);
    // Netty's own SLF4J-aware logger is noisy at DEBUG, so keep both at WARN whatever the root
    // level is.
    context.getLogger("io.grpc").setLevel(Level.WARN);
    context.getLogger("io.netty").setLevel(Level.WARN);
    return context;
  }

  private static Logger root(LoggerContext context) {
    return context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  private static ConsoleAppender<ILoggingEvent> consoleAppender(LoggerContext context) {
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("console");
    appender.setTarget("System.err");
    appender.setEncoder(encoder(context));
    appender.start();
    return appender;
  }

  private static PatternLayoutEncoder encoder(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.setCharset(StandardCharsets.UTF_8);
    encoder.start();
    return encoder;
  }
}
