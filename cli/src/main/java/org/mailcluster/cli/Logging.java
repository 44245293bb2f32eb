package org.mailcluster.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
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

  /** Everything from {@code level} on to standard error and to {@code file} (appended). */
  static void consoleAndFile(Level level, Path file) {
    LoggerContext context = reset(level);
    Logger root = root(context);
    root.addAppender(consoleAppender(context));
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setName("file");
    appender.setFile(file.toAbsolutePath().toString());
    appender.setAppend(true);
    appender.setEncoder(encoder(context));
    appender.start();
    root.addAppender(appender);
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
