package org.mailcluster.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mailcluster.benchmarks.config.SnapshotBenchmark;
import org.mailcluster.benchmarks.grpc.GrpcReplicationBenchmark;
import org.mailcluster.benchmarks.ini.IniBenchmark;
import org.mailcluster.benchmarks.peer.JGroupsReplicationBenchmark;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs the benchmark suite in a short mode (a few minutes on 2 cores) and reports each figure
 * beside its baseline from the same run: {@code benchmarks/results/latest.json} and the table
 * between the report markers of {@code benchmarks/README.md}.
 *
 * <pre>
 * ./mvnw -B -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar org.mailcluster.benchmarks.Report [--long]
 * </pre>
 */
public final class Report {
  private static final String START = "<!-- report:start -->";
  private static final String END = "<!-- report:end -->";

  private Report() {}

  /** One measured figure: a score in a unit, with its error and (for sampled times) median. */
  record Figure(String benchmark, double score, double error, String unit, Double median) {
    /** The figure to compare: the median of sampled times, the score otherwise. */
    double value() {
      return median != null ? median : score;
    }
  }

  /** One line of the report: ours against a baseline from the same run. */
  record Row(
      String what,
      String ours,
      String baseline,
      String baselineName,
      double ratio,
      String ratioMeaning,
      String target,
      Boolean met) {}

  public static void main(String[] args) throws RunnerException, IOException {
    boolean longMode = List.of(args).contains("--long");
    Path results = Path.of("benchmarks/results/latest.json");
    Path readme = Path.of("benchmarks/README.md");
    Map<String, Figure> figures = new LinkedHashMap<>();
    for (Class<?> suite :
        List.of(
            SnapshotBenchmark.class,
            IniBenchmark.class,
            GrpcReplicationBenchmark.class,
            JGroupsReplicationBenchmark.class)) {
      ChainedOptionsBuilder options =
          new OptionsBuilder()
              .include("\\." + suite.getSimpleName() + "\\.")
              .shouldFailOnError(true);
      if (!longMode) {
        options
            .forks(1)
            .warmupIterations(1)
            .warmupTime(TimeValue.seconds(2))
            .measurementIterations(3)
            .measurementTime(TimeValue.seconds(2));
      }
      collect(new Runner(options.build()).run(), figures);
    }
    List<Row> rows = rows(figures);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("measuredAt", Instant.now().toString());
    report.put("mode", longMode ? "long" : "short");
    report.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
    report.put("cores", Runtime.getRuntime().availableProcessors());
    report.put("rows", rows);
    report.put("figures", figures);
    ObjectMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    Files.createDirectories(results.getParent());
    Files.writeString(results, json.writeValueAsString(report) + "\n", StandardCharsets.UTF_8);
    String table = table(rows, report);
    System.out.println(table);
    if (Files.exists(readme)) {
      String text = Files.readString(readme, StandardCharsets.UTF_8);
      int s = text.indexOf(START);
      int e = text.indexOf(END);
      if (s >= 0 && e > s) {
        Files.writeString(
            readme,
            text.substring(0, s + START.length()) + "\n" + table + text.substring(e),
            StandardCharsets.UTF_8);
      }
    }
    System.out.println("wrote " + results + " and the table in " + readme);
  }

  private static void collect(Collection<RunResult> runs, Map<String, Figure> figures) {
    for (RunResult run : runs) {
      Result<?> r = run.getPrimaryResult();
      String name = run.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
      Double median = null;
      if (run.getParams().getMode() == org.openjdk.jmh.annotations.Mode.SampleTime) {
        median = r.getStatistics().getPercentile(50);
      }
      figures.put(
          name, new Figure(name, r.getScore(), r.getScoreError(), r.getScoreUnit(), median));
    }
  }

  private static List<Row> rows(Map<String, Figure> f) {
    List<Row> rows = new ArrayList<>();
    lowerIsBetter(
        rows,
        f,
        "one-key update on 100k keys, previous revision kept",
        "SnapshotBenchmark.updateOneKey",
        "SnapshotBenchmark.updateOneKeyBaselineTreeMapCopy",
        "TreeMap copy + put",
        "≤ 5 µs",
        5,
        "us/op");
    lowerIsBetter(
        rows,
        f,
        "diff of 100k-key snapshots sharing structure, 100 keys apart",
        "SnapshotBenchmark.diffRelated",
        "SnapshotBenchmark.diffBaselineTreeMap",
        "TreeMap merge-walk diff",
        "≤ 1 ms",
        1000,
        "us/op");
    lowerIsBetter(
        rows,
        f,
        "diff of unrelated 100k-key snapshots, 100 keys apart",
        "SnapshotBenchmark.diffUnrelated",
        "SnapshotBenchmark.diffBaselineTreeMap",
        "TreeMap merge-walk diff",
        "≤ 50 ms",
        50_000,
        "us/op");
    lowerIsBetter(
        rows,
        f,
        "INI parse + read all + rewrite, 10 MB",
        "IniBenchmark.ours_parseReadAllWrite",
        "IniBenchmark.ini4j_loadStore",
        "ini4j",
        "≥ 2× faster",
        Double.NaN,
        "ms/op");
    lowerIsBetter(
        rows,
        f,
        "INI parse + read all + rewrite, 10 MB",
        "IniBenchmark.ours_parseReadAllWrite",
        "IniBenchmark.commonsConfiguration_readWrite",
        "commons-configuration2",
        "≥ 2× faster",
        Double.NaN,
        "ms/op");
    Figure commit = f.get("GrpcReplicationBenchmark.commitUntilAppliedOnTwoSecondaries");
    Figure echo = f.get("GrpcReplicationBenchmark.echoRoundTrip");
    Figure jgPut = f.get("JGroupsReplicationBenchmark.syncPut");
    if (commit != null && echo != null) {
      double ratio = commit.value() / echo.value();
      rows.add(
          new Row(
              "replication latency, median: commit → applied on 2 secondaries (gRPC + mTLS)",
              us(commit.value()),
              us(echo.value()),
              "gRPC unary echo round trip (same transport)",
              ratio,
              "ours / baseline",
              "≤ 2× the echo",
              ratio <= 2));
    }
    if (commit != null && jgPut != null) {
      rows.add(
          new Row(
              "replication latency, median: vs JGroups, 3 members on loopback",
              us(commit.value()),
              us(jgPut.value()),
              "JGroups ReplicatedHashMap synchronous put",
              commit.value() / jgPut.value(),
              "ours / baseline",
              "—",
              null));
    }
    Figure burst = f.get("GrpcReplicationBenchmark.batchedCommitsUntilAppliedOnTwoSecondaries");
    Figure jgBurst = f.get("JGroupsReplicationBenchmark.pipelinedPutsThenSyncPut");
    if (burst != null && jgBurst != null) {
      rows.add(
          new Row(
              "replication throughput: 1000 single-key changes until applied on 2 secondaries",
              perSecond(burst.score()),
              perSecond(jgBurst.score()),
              "JGroups ReplicatedHashMap, 999 async puts + 1 sync put",
              burst.score() / jgBurst.score(),
              "ours / baseline",
              "≥ 50 000 changes/s",
              burst.score() >= 50_000));
    }
    return rows;
  }

  private static void lowerIsBetter(
      List<Row> rows,
      Map<String, Figure> f,
      String what,
      String ours,
      String baseline,
      String baselineName,
      String target,
      double targetValue,
      String unit) {
    Figure o = f.get(ours);
    Figure b = f.get(baseline);
    if (o == null || b == null) {
      return;
    }
    double ratio = b.value() / o.value();
    Boolean met =
        Double.isNaN(targetValue) ? Boolean.valueOf(ratio >= 2) : o.value() <= targetValue;
    rows.add(
        new Row(
            what,
            format(o.value(), unit),
            format(b.value(), unit),
            baselineName,
            ratio,
            "baseline / ours (× faster)",
            target,
            met));
  }

  private static String format(double value, String unit) {
    return String.format(
        Locale.ROOT, "%,.1f %s", value, unit.replace("/op", "").replace("us", "µs"));
  }

  private static String us(double value) {
    return String.format(Locale.ROOT, "%,.0f µs", value);
  }

  private static String perSecond(double value) {
    return String.format(Locale.ROOT, "%,.0f /s", value);
  }

  private static String table(List<Row> rows, Map<String, Object> report) {
    StringBuilder out = new StringBuilder();
    out.append("Measured ")
        .append(report.get("measuredAt"))
        .append(" (")
        .append(report.get("mode"))
        .append(" mode), ")
        .append(report.get("java"))
        .append(", ")
        .append(report.get("cores"))
        .append(" cores. Raw figures: `benchmarks/results/latest.json`.\n\n");
    out.append("| what | ours | baseline (same run) | ratio | target | met |\n");
    out.append("|---|---:|---:|---:|---|:-:|\n");
    for (Row r : rows) {
      out.append("| ")
          .append(r.what())
          .append(" | ")
          .append(r.ours())
          .append(" | ")
          .append(r.baseline())
          .append(" (")
          .append(r.baselineName())
          .append(") | ")
          .append(String.format(Locale.ROOT, "%.2f", r.ratio()))
          .append(" (")
          .append(r.ratioMeaning())
          .append(") | ")
          .append(r.target())
          .append(" | ")
          .append(r.met() == null ? "—" : r.met() ? "yes" : "**no**")
          .append(" |\n");
    }
    return out.toString();
  }
}
