package org.mailcluster.benchmarks.ini;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.Charset;
import org.apache.commons.configuration2.INIConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.ini4j.Ini;
import org.mailcluster.ini.IniDocument;

/** Read-then-write of one INI file with each library, each in its default configuration. */
final class IniPeers {
  private IniPeers() {}

  static byte[] ours(byte[] input) {
    IniDocument doc = IniDocument.parse(input);
    long chars = 0;
    for (IniDocument.Entry e : doc.entries()) {
      chars += e.section().length() + e.key().length() + e.value().length();
    }
    if (chars == 0) {
      throw new IllegalStateException("no entries parsed");
    }
    return doc.toBytes();
  }

  static byte[] ini4j(byte[] input, Charset charset) {
    try (Reader in = new InputStreamReader(new ByteArrayInputStream(input), charset)) {
      Ini ini = new Ini();
      ini.load(in);
      ByteArrayOutputStream out = new ByteArrayOutputStream(input.length + 1024);
      try (Writer w = new OutputStreamWriter(out, charset)) {
        ini.store(w);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] commonsConfiguration(byte[] input, Charset charset) {
    try (Reader in = new InputStreamReader(new ByteArrayInputStream(input), charset)) {
      INIConfiguration conf = new INIConfiguration();
      conf.read(in);
      ByteArrayOutputStream out = new ByteArrayOutputStream(input.length + 1024);
      try (Writer w = new OutputStreamWriter(out, charset)) {
        conf.write(w);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ConfigurationException e) {
      throw new IllegalStateException(e);
    }
  }
}
