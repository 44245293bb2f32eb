package org.mailcluster.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.mailcluster.membership.NodeAddress;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Which running node a command asks, by its configuration file or its status address, and how it
 * asks: a request to the node's {@link StatusEndpoint}. With {@code --config} the request carries
 * the token the node wrote to its state directory when this user can read it; with {@code
 * --address}, the token of {@code --token-file} if given.
 */
final class NodeTarget {
  @Option(
      names = "--config",
      paramLabel = "CONFIG",
      description = "The node's properties file (its status.listen is asked).")
  Path config;

  @ArgGroup(exclusive = false)
  ByAddress byAddress;

  /** A node named by its status address, with the token to send if it needs one. */
  static final class ByAddress {
    @Option(
        names = "--address",
        required = true,
        paramLabel = "HOST:PORT",
        description = "The node's status address, e.g. 127.0.0.1:7480.")
    String address;

    @Option(
        names = "--token-file",
        paramLabel = "FILE",
        description =
            "A copy of the node's status.token, for a node whose status.listen is not loopback.")
    Path tokenFile;
  }

  NodeAddress statusAddress() {
    if (config != null) {
      return NodeConfig.load(config)
          .statusListen()
          .orElseThrow(
              () ->
                  InputException.of(
                      config + " has no status.listen, so the node serves no status",
                      "add e.g. status.listen = 127.0.0.1:7480 and restart the node"));
    }
    try {
      return NodeAddress.parse(byAddress.address);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage(), "give it as HOST:PORT, e.g. 127.0.0.1:7480", e);
    }
  }

  /**
   * Asks the node for {@code path} with the query parameters given as name, value, name, value …;
   * returns the body of a 200 answer. An answer of 400, 403, 404, 409 or 421 is the node refusing
   * the question (exit code 3, with its message); anything else means no node answered or it did
   * not finish in time (exit code 5).
   */
  String get(Duration timeout, String path, String... query) throws InterruptedException {
    return getOrExplain(timeout, "check the values you gave", path, query);
  }

  /** As {@link #get(Duration, String, String...)}, with the hint for a refusal. */
  String getOrExplain(Duration timeout, String refusalHint, String path, String... query)
      throws InterruptedException {
    return send(timeout, refusalHint, path, "GET", optionalToken(), query);
  }

  /**
   * Asks the node to act: a {@code POST} of {@code path} with the query parameters given as name,
   * value …, carrying the node's token (so only with {@code --config}, or {@code --address} and
   * {@code --token-file}); answers as {@link #get(Duration, String, String...)} does.
   */
  String post(Duration timeout, String refusalHint, String path, String... query)
      throws InterruptedException {
    String token = requireToken();
    return send(timeout, refusalHint, path, "POST", token, query);
  }

  /**
   * Returns the node's token, which acting needs: from the state directory with {@code --config},
   * or from {@code --token-file}. Actions call it before they show their plan, so that an operator
   * who cannot act is told so before being asked to confirm.
   */
  String requireToken() {
    if (config != null) {
      return StatusEndpoint.readToken(NodeConfig.load(config).stateDirectory());
    }
    if (byAddress.tokenFile != null) {
      return StatusEndpoint.readTokenFile(byAddress.tokenFile);
    }
    throw InputException.of(
        "acting on a node needs its token, read from its state directory",
        "give the node's properties file with --config instead of --address (or a copy of its"
            + " status.token with --token-file)");
  }

  /** The token if this user can read it; a GET on loopback needs none. */
  private String optionalToken() {
    if (config != null) {
      Path file = NodeConfig.load(config).stateDirectory().resolve(StatusEndpoint.TOKEN_FILE);
      return Files.isReadable(file) ? StatusEndpoint.readTokenFile(file) : null;
    }
    return byAddress.tokenFile == null ? null : StatusEndpoint.readTokenFile(byAddress.tokenFile);
  }

  private String send(
      Duration timeout,
      String refusalHint,
      String path,
      String method,
      String token,
      String... query)
      throws InterruptedException {
    NodeAddress node = statusAddress();
    StringBuilder uri = new StringBuilder("http://").append(node).append(path);
    for (int i = 0; i + 1 < query.length; i += 2) {
      uri.append(i == 0 ? '?' : '&')
          .append(query[i])
          .append('=')
          .append(URLEncoder.encode(query[i + 1], StandardCharsets.UTF_8));
    }
    URI target = URI.create(uri.toString());
    HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(timeout);
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    request.method(method, HttpRequest.BodyPublishers.noBody());
    HttpResponse<String> response;
    try {
      response =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(timeout)
              .build()
              .send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw InputException.unavailable(
          "no node answers on http://" + node + " (" + why + ")",
          "is the node running on this machine, with status.listen = " + node + "?",
          e);
    }
    int status = response.statusCode();
    if (status == 200) {
      return response.body();
    }
    if (Set.of(400, 403, 404, 409, 421).contains(status)) {
      throw InputException.of("the node refused: " + errorOf(response.body()), refusalHint);
    }
    if (status == 503 || status == 429) {
      throw InputException.unavailable(
          "the node did not do it: " + errorOf(response.body()),
          "see `mailcluster status` and the node's log",
          null);
    }
    throw InputException.unavailable(
        target + " answered HTTP " + status,
        "is this the status address of a mailcluster node of this version?",
        null);
  }

  /** The node's diagnostics, as JSON. */
  JsonNode diagnostics() throws InterruptedException {
    String body = get(Duration.ofSeconds(10), StatusEndpoint.DIAGNOSTICS);
    try {
      return DiagnosticsView.JSON.readTree(body);
    } catch (JacksonException e) {
      throw InputException.unavailable(
          "the node's answer is not JSON", "is this the status address of a mailcluster node?", e);
    }
  }

  /** Who acts, for the node's history: {@code given}, or {@code cli:<user name>}. */
  static String caller(String given) {
    return given != null ? given : "cli:" + System.getProperty("user.name", "operator");
  }

  private static String errorOf(String body) {
    try {
      return DiagnosticsView.JSON.readTree(body).path("error").asString();
    } catch (JacksonException e) {
      return body;
    }
  }
}
