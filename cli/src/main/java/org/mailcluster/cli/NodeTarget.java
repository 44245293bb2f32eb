package org.mailcluster.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.mailcluster.membership.NodeAddress;
import picocli.CommandLine.Option;
import tools.jackson.core.JacksonException;

/**
 * Which running node a command asks, by its configuration file or its status address, and how it
 * asks: a GET on the node's {@link StatusEndpoint}.
 */
final class NodeTarget {
  @Option(
      names = "--config",
      paramLabel = "CONFIG",
      description = "The node's properties file (its status.listen is asked).")
  Path config;

  @Option(
      names = "--address",
      paramLabel = "HOST:PORT",
      description = "The node's status address, e.g. 127.0.0.1:7480.")
  String address;

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
      return NodeAddress.parse(address);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage(), "give it as HOST:PORT, e.g. 127.0.0.1:7480", e);
    }
  }

  /**
   * Asks the node for {@code path} with the query parameters given as name, value, name, value …;
   * returns the body of a 200 answer. A 400 answer is the node refusing the question (exit code 3,
   * with its message); anything else means no node answered (exit code 5).
   */
  String get(Duration timeout, String path, String... query) throws InterruptedException {
    return getOrExplain(timeout, "check the values you gave", path, query);
  }

  /** As {@link #get(Duration, String, String...)}, with the hint for a refusal. */
  String getOrExplain(Duration timeout, String refusalHint, String path, String... query)
      throws InterruptedException {
    return send(timeout, refusalHint, path, "GET", null, query);
  }

  /**
   * Asks the node to act: a {@code POST} of {@code path} with the query parameters given as name,
   * value …, carrying the token the node wrote to its state directory (so only with {@code
   * --config}); answers as {@link #get(Duration, String, String...)} does.
   */
  String post(Duration timeout, String refusalHint, String path, String... query)
      throws InterruptedException {
    if (config == null) {
      throw InputException.of(
          "acting on a node needs its token, read from its state directory",
          "give the node's properties file with --config instead of --address");
    }
    String token = StatusEndpoint.readToken(NodeConfig.load(config).stateDirectory());
    return send(timeout, refusalHint, path, "POST", token, query);
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
    if (response.statusCode() == 400 || response.statusCode() == 403) {
      throw InputException.of("the node refused: " + errorOf(response.body()), refusalHint);
    }
    if (response.statusCode() != 200) {
      throw InputException.unavailable(
          target + " answered HTTP " + response.statusCode(),
          "is this the status address of a mailcluster node of this version?",
          null);
    }
    return response.body();
  }

  private static String errorOf(String body) {
    try {
      return DiagnosticsView.JSON.readTree(body).path("error").asString();
    } catch (JacksonException e) {
      return body;
    }
  }
}
