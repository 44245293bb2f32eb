package org.mailcluster.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.mailcluster.membership.NodeAddress;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** Shows a running node's diagnostics, read from its status endpoint. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show a running node's diagnostics: its role, revision and initial sync, every member",
      "with its connection, acknowledged revision, lag and round trip, and the recent",
      "warnings and errors. Asks the node's status endpoint (status.listen in its",
      "configuration), on this machine. Exits 5 when no node answers there."
    })
final class StatusCommand implements Callable<Integer> {
  static final class Target {
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
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(names = "--json", description = "Print the diagnostics as JSON.")
  boolean json;

  @Option(
      names = "--timeout",
      defaultValue = "5",
      paramLabel = "SECONDS",
      description = "How long to wait for the node (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    NodeAddress address = address();
    URI uri = URI.create("http://" + address + StatusEndpoint.PATH);
    Duration timeout = Duration.ofSeconds(timeoutSeconds);
    HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
    HttpResponse<String> response;
    try {
      response =
          client.send(
              HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw InputException.unavailable(
          "no node answers on " + uri + " (" + describe(e) + ")",
          "is the node running on this machine, with status.listen = " + address + "?",
          e);
    }
    if (response.statusCode() != 200) {
      throw InputException.unavailable(
          uri + " answered HTTP " + response.statusCode(),
          "is this the status address of a mailcluster node?",
          null);
    }
    PrintWriter out = spec.commandLine().getOut();
    JsonNode diagnostics;
    try {
      diagnostics = DiagnosticsView.JSON.readTree(response.body());
    } catch (JacksonException e) {
      throw InputException.unavailable(
          uri + " did not answer JSON", "is this the status address of a mailcluster node?", e);
    }
    if (json) {
      out.println(
          DiagnosticsView.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(diagnostics));
    } else {
      DiagnosticsView.print(diagnostics, out, "");
    }
    out.flush();
    return 0;
  }

  private NodeAddress address() {
    if (target.config != null) {
      return NodeConfig.load(target.config)
          .statusListen()
          .orElseThrow(
              () ->
                  InputException.of(
                      target.config + " has no status.listen, so the node serves no status",
                      "add e.g. status.listen = 127.0.0.1:7480 and restart the node"));
    }
    try {
      return NodeAddress.parse(target.address);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage(), "give it as HOST:PORT, e.g. 127.0.0.1:7480", e);
    }
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }
}
