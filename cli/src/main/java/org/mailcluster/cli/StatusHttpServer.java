package org.mailcluster.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The small HTTP/1.1 server under the {@link StatusEndpoint}: one request per connection, no
 * request bodies, every limit explicit and per server.
 *
 * <p>Why not the JDK's {@code com.sun.net.httpserver}: on Java 17 it reads a request's headers on
 * its executor's threads with no deadline unless the process-wide system properties {@code
 * sun.net.httpserver.maxReqTime}/{@code maxRspTime} are set before its first use (and then for
 * every server in the JVM, in whole seconds, checked once a second), and it has no bound on the
 * number of connections. Two clients that open a socket and send half a request line were enough to
 * take both of its threads. Here:
 *
 * <ul>
 *   <li>each connection has its own thread from a pool of at most {@link Limits#connections()}; a
 *       connection beyond that is answered {@code 503} at once and closed;
 *   <li>the request line and headers must arrive whole within {@link Limits#head()} and within
 *       {@link Limits#headBytes()} bytes; otherwise the connection is closed (a watchdog closes the
 *       socket at the deadline, so a client that trickles one byte at a time gains nothing);
 *   <li>writing the answer must end within {@link Limits#write()}, or the socket is closed;
 *   <li>the handler itself is bounded by whoever writes it (the endpoint's actions wait for their
 *       futures with a limit).
 * </ul>
 *
 * So stalled clients hold at most their own threads, for at most the head limit, and others are
 * served meanwhile.
 */
final class StatusHttpServer implements AutoCloseable {
  /** How much a connection may take. */
  record Limits(int connections, Duration head, int headBytes, Duration write) {
    Limits {
      if (connections < 1) {
        throw new IllegalArgumentException("connections must be at least 1, not " + connections);
      }
      if (headBytes < 256) {
        throw new IllegalArgumentException("headBytes must be at least 256, not " + headBytes);
      }
      if (head.isNegative() || head.isZero() || write.isNegative() || write.isZero()) {
        throw new IllegalArgumentException(
            "the head and write limits must be positive, not " + head + " and " + write);
      }
    }

    /** 32 connections, 10 s and 8 KiB for the request head, 10 s to write the answer. */
    static Limits defaults() {
      return new Limits(32, Duration.ofSeconds(10), 8192, Duration.ofSeconds(10));
    }
  }

  /**
   * One request.
   *
   * @param method e.g. {@code GET}
   * @param path the path, e.g. {@code /diff}
   * @param query the decoded query parameters (the first of each name)
   * @param headers the headers by lower-case name (the first of each name)
   */
  record Request(
      String method, String path, Map<String, String> query, Map<String, String> headers) {
    Optional<String> header(String name) {
      return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }
  }

  /** One answer: a status, a JSON body and any further headers. */
  record Response(int status, String body, Map<String, String> headers) {
    static Response json(int status, String body) {
      return new Response(status, body, Map.of());
    }

    Response withHeader(String name, String value) {
      Map<String, String> more = new LinkedHashMap<>(headers);
      more.put(name, value);
      return new Response(status, body, Map.copyOf(more));
    }
  }

  /** Answers a request; called on a connection's own thread, so it may block (boundedly). */
  interface Handler {
    Response handle(Request request);
  }

  private final ServerSocket socket;
  private final ThreadPoolExecutor connections;
  private final ThreadPoolExecutor refusals;
  private final ScheduledExecutorService watchdog;
  private final Thread acceptor;
  private final Limits limits;
  private final Handler handler;
  private volatile boolean closed;

  private StatusHttpServer(ServerSocket socket, Limits limits, Handler handler) {
    this.socket = socket;
    this.limits = limits;
    this.handler = handler;
    AtomicInteger n = new AtomicInteger();
    this.connections =
        new ThreadPoolExecutor(
            0,
            limits.connections(),
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> daemon(r, "mailcluster-status-" + n.incrementAndGet()));
    this.refusals =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(16),
            r -> daemon(r, "mailcluster-status-refusals"));
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "mailcluster-status-watchdog"));
    this.acceptor = daemon(this::accept, "mailcluster-status-accept");
  }

  /** Listens on {@code address} (port 0 picks a free one) and serves until closed. */
  static StatusHttpServer start(InetSocketAddress address, Limits limits, Handler handler)
      throws IOException {
    ServerSocket socket = new ServerSocket();
    try {
      socket.bind(address, 64);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    StatusHttpServer server = new StatusHttpServer(socket, limits, handler);
    server.acceptor.start();
    return server;
  }

  InetSocketAddress address() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = socket.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      try {
        connections.execute(() -> serve(client));
      } catch (RejectedExecutionException e) {
        // Every connection thread is taken: one thread answers 503 to such connections, a few at
        // a time; beyond that they are just closed.
        try {
          refusals.execute(() -> refuse(client));
        } catch (RejectedExecutionException full) {
          closeQuietly(client);
        }
      }
    }
  }

  private void refuse(Socket client) {
    try (client) {
      write(
          client.getOutputStream(),
          Response.json(
                  503,
                  StatusEndpoint.error(
                      "the status endpoint serves "
                          + limits.connections()
                          + " connections at a time: try again shortly"))
              .withHeader("Retry-After", "1"));
      finish(client);
    } catch (IOException e) {
      // Gone already: nothing to answer.
    }
  }

  private void serve(Socket client) {
    try (client) {
      ScheduledFuture<?> headDeadline = closeAt(client, limits.head());
      Request request;
      try {
        request = readHead(client);
      } catch (BadRequest e) {
        headDeadline.cancel(false);
        writeBounded(client, Response.json(e.status, StatusEndpoint.error(e.getMessage())));
        return;
      } catch (SocketTimeoutException | SocketException e) {
        return; // the deadline passed, or the client went away
      } finally {
        headDeadline.cancel(false);
      }
      Response response;
      try {
        response = handler.handle(request);
      } catch (RuntimeException e) {
        response = Response.json(500, StatusEndpoint.error(e.getClass().getSimpleName()));
      }
      writeBounded(client, response);
    } catch (IOException e) {
      // The client went away or was too slow; the socket is closed either way.
    }
  }

  private void writeBounded(Socket client, Response response) throws IOException {
    ScheduledFuture<?> writeDeadline = closeAt(client, limits.write());
    try {
      write(client.getOutputStream(), response);
      finish(client);
    } finally {
      writeDeadline.cancel(false);
    }
  }

  /**
   * Ends the answer and reads what the client still sends, briefly: closing a socket with unread
   * input resets the connection, and the client may then lose the answer before reading it.
   */
  private static void finish(Socket client) throws IOException {
    client.shutdownOutput();
    client.setSoTimeout(500);
    InputStream in = client.getInputStream();
    byte[] sink = new byte[4096];
    long left = 64 * 1024;
    try {
      for (int n; left > 0 && (n = in.read(sink)) >= 0; ) {
        left -= n;
      }
    } catch (SocketTimeoutException e) {
      // the client keeps its socket open: close it anyway
    }
  }

  private static void closeQuietly(Socket client) {
    try {
      client.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private ScheduledFuture<?> closeAt(Socket client, Duration after) {
    return watchdog.schedule(() -> closeQuietly(client), after.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Reads the request line and headers; the deadline is enforced by the socket's timeout too. */
  private Request readHead(Socket client) throws IOException, BadRequest {
    long end = System.nanoTime() + limits.head().toNanos();
    InputStream in = client.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int newlines = 0; // consecutive line ends, ignoring CR
    while (newlines < 2) {
      long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
      if (left <= 0) {
        throw new SocketTimeoutException("request head not complete in time");
      }
      client.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
      int b = in.read();
      if (b < 0) {
        throw new SocketException("closed before the request was complete");
      }
      if (head.size() >= limits.headBytes()) {
        throw new BadRequest(
            431, "the request head is longer than " + limits.headBytes() + " bytes");
      }
      head.write(b);
      if (b == '\n') {
        newlines++;
      } else if (b != '\r') {
        newlines = 0;
      }
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r?\n");
    String[] start = lines[0].split(" ", -1);
    if (start.length != 3 || !start[2].startsWith("HTTP/1.") || !start[1].startsWith("/")) {
      throw new BadRequest(400, "not an HTTP/1.x request line in origin form");
    }
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        throw new BadRequest(400, "malformed header line");
      }
      headers.putIfAbsent(
          lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).strip());
    }
    String length = headers.getOrDefault("content-length", "0");
    if (headers.containsKey("transfer-encoding") || !length.equals("0")) {
      throw new BadRequest(413, "requests carry no body here: give the parameters in the query");
    }
    String target = start[1];
    int q = target.indexOf('?');
    try {
      return new Request(
          start[0],
          q < 0 ? target : target.substring(0, q),
          q < 0 ? Map.of() : query(target.substring(q + 1)),
          Map.copyOf(headers));
    } catch (IllegalArgumentException e) {
      throw new BadRequest(400, "malformed query: " + e.getMessage());
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> result = new HashMap<>();
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        result.putIfAbsent(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return Map.copyOf(result);
  }

  private static void write(OutputStream out, Response response) throws IOException {
    byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
    StringBuilder head =
        new StringBuilder("HTTP/1.1 ")
            .append(response.status())
            .append(' ')
            .append(reason(response.status()))
            .append("\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ")
            .append(body.length)
            .append("\r\nConnection: close\r\nCache-Control: no-store\r\n")
            .append("X-Content-Type-Options: nosniff\r\n");
    response.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 413 -> "Content Too Large";
      case 421 -> "Misdirected Request";
      case 429 -> "Too Many Requests";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public void close() {
    closed = true;
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
    connections.shutdownNow();
    refusals.shutdownNow();
    watchdog.shutdownNow();
  }

  /** A request that cannot be served, with the status that says why. */
  private static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    BadRequest(int status, String message) {
      super(message);
      this.status = status;
    }
  }
}
