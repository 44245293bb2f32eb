package org.mailcluster.ini;

import java.util.Arrays;

/**
 * The lines of a parsed file as parallel arrays of offsets instead of one object per line. A large
 * document then costs a few big arrays that the garbage collector does not copy around; {@link
 * Line} objects are made only for lines that are read one by one or edited.
 */
final class LineTable {
  private static final int FIELDS = 7;
  private static final Line.Kind[] KINDS = Line.Kind.values();

  final TextCodec codec;
  final byte[] buf;
  private int count;
  // Per row: start, contentEnd, end, nameStart, nameEnd, valueStart, valueEnd.
  private int[] offsets;
  private byte[] kinds;
  private final int[] scratch = new int[4];

  LineTable(TextCodec codec, byte[] buf, int expectedLines) {
    this.codec = codec;
    this.buf = buf;
    int capacity = Math.max(16, expectedLines);
    this.offsets = new int[capacity * FIELDS];
    this.kinds = new byte[capacity];
  }

  /** Classifies and appends a line; returns its row. */
  int add(int start, int contentEnd, int end) {
    if (count == kinds.length) {
      kinds = Arrays.copyOf(kinds, count * 2);
      offsets = Arrays.copyOf(offsets, count * 2 * FIELDS);
    }
    Line.Kind kind = Line.classify(codec, buf, start, contentEnd, scratch);
    int o = count * FIELDS;
    offsets[o] = start;
    offsets[o + 1] = contentEnd;
    offsets[o + 2] = end;
    offsets[o + 3] = scratch[0];
    offsets[o + 4] = scratch[1];
    offsets[o + 5] = scratch[2];
    offsets[o + 6] = scratch[3];
    kinds[count] = (byte) kind.ordinal();
    return count++;
  }

  int size() {
    return count;
  }

  Line.Kind kind(int row) {
    return KINDS[kinds[row]];
  }

  int start(int row) {
    return offsets[row * FIELDS];
  }

  int contentEnd(int row) {
    return offsets[row * FIELDS + 1];
  }

  int end(int row) {
    return offsets[row * FIELDS + 2];
  }

  Line line(int row) {
    int o = row * FIELDS;
    return new Line(
        codec,
        buf,
        offsets[o],
        offsets[o + 1],
        offsets[o + 2],
        kind(row),
        offsets[o + 3],
        offsets[o + 4],
        offsets[o + 5],
        offsets[o + 6]);
  }

  String name(int row) {
    return codec.decode(buf, offsets[row * FIELDS + 3], offsets[row * FIELDS + 4]);
  }

  String value(int row) {
    return codec.decode(buf, offsets[row * FIELDS + 5], offsets[row * FIELDS + 6]);
  }

  int foldedNameHash(int row) {
    return Line.foldedNameHash(codec, buf, offsets[row * FIELDS + 3], offsets[row * FIELDS + 4]);
  }

  boolean sameName(int row, int other) {
    int a = row * FIELDS;
    int b = other * FIELDS;
    return Line.sameName(
        codec, buf, offsets[a + 3], offsets[a + 4], codec, buf, offsets[b + 3], offsets[b + 4]);
  }
}
