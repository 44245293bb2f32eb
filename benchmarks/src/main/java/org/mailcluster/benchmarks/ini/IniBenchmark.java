package org.mailcluster.benchmarks.ini;

import java.util.concurrent.TimeUnit;
import org.mailcluster.ini.IniDocument;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Read and rewrite of a ~10 MB windows-1252 CRLF INI file with our {@link IniDocument}, ini4j and
 * commons-configuration2 on the same bytes in the same run. Each operation parses the whole file,
 * makes every value readable and writes the file back; divide the input size (printed at setup) by
 * the time per operation for MB/s.
 *
 * <ul>
 *   <li>{@code ours_parseWrite}: parse and write back, names and values decoded on demand only.
 *   <li>{@code ours_parseReadAllWrite}: parse, decode every effective entry ({@code entries()}),
 *       write back: the fair comparison with the peers, which build full maps.
 *   <li>{@code ini4j_loadStore}, {@code commonsConfiguration_readWrite}: the peers' own read and
 *       write through a windows-1252 reader and writer.
 * </ul>
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar IniBenchmark -f 1 -wi 2 -i 3 -w 2s -r 2s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class IniBenchmark {
  private byte[] input;

  /** Builds the input once. */
  @Setup(Level.Trial)
  public void setUp() {
    input = IniCorpus.generate(10 * 1024 * 1024, 42);
    System.out.printf(
        "%nINI input: %d bytes (%.2f MB), %d sections%n",
        input.length, input.length / 1e6, IniDocument.parse(input).sections().size());
  }

  /** Parse and write back. */
  @Benchmark
  public byte[] ours_parseWrite() {
    return IniDocument.parse(input).toBytes();
  }

  /** Parse, read every entry, write back. */
  @Benchmark
  public byte[] ours_parseReadAllWrite() {
    return IniPeers.ours(input);
  }

  /** ini4j load and store. */
  @Benchmark
  public byte[] ini4j_loadStore() {
    return IniPeers.ini4j(input, IniCorpus.CP1252);
  }

  /** commons-configuration2 INIConfiguration read and write. */
  @Benchmark
  public byte[] commonsConfiguration_readWrite() {
    return IniPeers.commonsConfiguration(input, IniCorpus.CP1252);
  }
}
