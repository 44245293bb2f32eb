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
    return send("GET", timeout, refusalHint, path, query);
  }

  /**
   * As {@link #getOrExplain}, but a POST: the node is asked to act (the endpoint serves POST only
   * for what an operator decides, such as confirming a held-back change).
   */
  String post(Duration timeout, String refusalHint, String path, String... query)
      throws InterruptedException {
    return send("POST", timeout, refusalHint, path, query);
  }

  private String send(
      String method, Duration timeout, String refusalHint, String path, String... query)
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
    HttpResponse<String> response;
    try {
      response =
          HttpClient.newBuilder()
              .connectTimeout(timeout)
              .build()
              .send(
                  HttpRequest.newBuilder(target)
                      .timeout(timeout)
                      .method(method, HttpRequest.BodyPublishers.noBody())
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw InputException.unavailable(
          "no node answers on http://" + node + " (" + why + ")",
          "is the node running on this machine, with status.listen = " + node + "?",
          e);
    }
    if (response.statusCode() == 400) {
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
