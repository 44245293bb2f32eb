package org.mailcluster.config;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.BiConsumer;

/**
 * A persistent (immutable, path-copying) sorted map from strings to strings: the storage behind
 * {@link ConfigSnapshot}.
 *
 * <p>It is a treap whose priorities are a hash of the key. That makes the shape <em>canonical</em>:
 * it depends only on the set of keys, never on the order of the operations that built it. Two
 * snapshots with the same keys therefore have the same shape, and a snapshot derived from another
 * by a few changes shares every subtree that those changes did not touch. {@link #diff} exploits
 * both: it skips subtrees that are the same object and walks matching nodes in lock step, so its
 * cost grows with the number of changes, not with the size of the map.
 *
 * <p>Invariants: in-order traversal is in ascending key order ({@link String#compareTo}); every
 * node's priority ranks above its children's ({@link #ranksAbove}); nodes are never mutated after
 * construction.
 */
final class Treap {
  // A fixed seed keeps shapes reproducible from run to run; the shape is never observable
  // outside the process (iteration and diff order are key order), so no seed needs sharing.
  private static final HashFunction PRIORITY_HASH = Hashing.murmur3_32_fixed(0x6d61696c);

  private Treap() {}

  /** One immutable node. */
  static final class Node {
    final String key;
    final String value;
    final int priority;
    final Node left;
    final Node right;

    Node(String key, String value, int priority, Node left, Node right) {
      this.key = key;
      this.value = value;
      this.priority = priority;
      this.left = left;
      this.right = right;
    }

    Node withChildren(Node newLeft, Node newRight) {
      return newLeft == left && newRight == right
          ? this
          : new Node(key, value, priority, newLeft, newRight);
    }
  }

  /** The result of {@link #split}: keys below and above the split key (the key itself dropped). */
  record Split(Node below, Node above) {}

  /** Receives the differences found by {@link #diff}, in ascending key order. */
  interface DiffSink {
    /** {@code oldValue} or {@code newValue} is {@code null} when the key is absent on that side. */
    void change(String key, String oldValue, String newValue);
  }

  static int priority(String key) {
    return PRIORITY_HASH.hashUnencodedChars(key).asInt();
  }

  /**
   * True when node {@code a} must sit above node {@code b}; ties on priority go to the smaller key.
   */
  static boolean ranksAbove(int priorityA, String keyA, int priorityB, String keyB) {
    return priorityA > priorityB || (priorityA == priorityB && keyA.compareTo(keyB) < 0);
  }

  static String get(Node node, String key) {
    while (node != null) {
      int c = key.compareTo(node.key);
      if (c == 0) {
        return node.value;
      }
      node = c < 0 ? node.left : node.right;
    }
    return null;
  }

  /** Returns a tree with {@code key} mapped to {@code value}; the same tree if nothing changes. */
  static Node put(Node node, String key, String value, int priority) {
    if (node == null) {
      return new Node(key, value, priority, null, null);
    }
    int c = key.compareTo(node.key);
    if (c == 0) {
      return value.equals(node.value)
          ? node
          : new Node(key, value, node.priority, node.left, node.right);
    }
    if (ranksAbove(priority, key, node.priority, node.key)) {
      // The key is absent here (it would be this node otherwise) and belongs at this height.
      Split parts = split(node, key);
      return new Node(key, value, priority, parts.below(), parts.above());
    }
    return c < 0
        ? node.withChildren(put(node.left, key, value, priority), node.right)
        : node.withChildren(node.left, put(node.right, key, value, priority));
  }

  /** Returns a tree without {@code key}; the same tree if the key is absent. */
  static Node remove(Node node, String key) {
    if (node == null) {
      return null;
    }
    int c = key.compareTo(node.key);
    if (c == 0) {
      return join(node.left, node.right);
    }
    return c < 0
        ? node.withChildren(remove(node.left, key), node.right)
        : node.withChildren(node.left, remove(node.right, key));
  }

  /**
   * Splits a tree into the keys below and above {@code key}, dropping {@code key} itself. Only the
   * nodes on the search path are copied; everything hanging off it is shared.
   */
  static Split split(Node node, String key) {
    if (node == null) {
      return new Split(null, null);
    }
    int c = key.compareTo(node.key);
    if (c == 0) {
      return new Split(node.left, node.right);
    }
    if (c < 0) {
      Split inner = split(node.left, key);
      return new Split(inner.below(), node.withChildren(inner.above(), node.right));
    }
    Split inner = split(node.right, key);
    return new Split(node.withChildren(node.left, inner.below()), inner.above());
  }

  /**
   * Joins two trees where every key of {@code below} is smaller than every key of {@code above}.
   */
  static Node join(Node below, Node above) {
    if (below == null) {
      return above;
    }
    if (above == null) {
      return below;
    }
    if (ranksAbove(below.priority, below.key, above.priority, above.key)) {
      return below.withChildren(below.left, join(below.right, above));
    }
    return above.withChildren(join(below, above.left), above.right);
  }

  /**
   * Builds a tree from entries already in strictly ascending key order, in linear time (the classic
   * stack-based Cartesian-tree construction).
   */
  static Node buildSorted(Iterator<? extends Map.Entry<String, String>> sortedEntries) {
    Deque<Builder> rightSpine = new ArrayDeque<>();
    String previous = null;
    while (sortedEntries.hasNext()) {
      Map.Entry<String, String> e = sortedEntries.next();
      String key = e.getKey();
      if (previous != null && previous.compareTo(key) >= 0) {
        throw new IllegalArgumentException(
            "entries are not in ascending key order: '" + previous + "' then '" + key + "'");
      }
      previous = key;
      Builder current = new Builder(key, e.getValue(), priority(key));
      Builder lastPopped = null;
      while (!rightSpine.isEmpty()
          && ranksAbove(
              current.priority, current.key, rightSpine.peek().priority, rightSpine.peek().key)) {
        lastPopped = rightSpine.pop();
      }
      current.left = lastPopped;
      if (!rightSpine.isEmpty()) {
        rightSpine.peek().right = current;
      }
      rightSpine.push(current);
    }
    return rightSpine.isEmpty() ? null : rightSpine.peekLast().build();
  }

  /** A node under construction; linked to other builders until {@link #build} freezes them. */
  private static final class Builder {
    final String key;
    final String value;
    final int priority;
    Builder left;
    Builder right;

    Builder(String key, String value, int priority) {
      this.key = key;
      this.value = value;
      this.priority = priority;
    }

    Node build() {
      return new Node(
          key,
          value,
          priority,
          left == null ? null : left.build(),
          right == null ? null : right.build());
    }
  }

  /**
   * Reports every difference between two trees in ascending key order. Subtrees that are the same
   * object are skipped, so the cost is proportional to the changes times the depth when the trees
   * share structure.
   */
  static void diff(Node a, Node b, DiffSink sink) {
    if (a == b) {
      return;
    }
    if (a == null) {
      forEach(b, (k, v) -> sink.change(k, null, v));
      return;
    }
    if (b == null) {
      forEach(a, (k, v) -> sink.change(k, v, null));
      return;
    }
    int c = a.key.compareTo(b.key);
    if (c == 0) {
      diff(a.left, b.left, sink);
      if (!a.value.equals(b.value)) {
        sink.change(a.key, a.value, b.value);
      }
      diff(a.right, b.right, sink);
    } else if (ranksAbove(a.priority, a.key, b.priority, b.key)) {
      // a's root ranks above every key of b, so (by canonical shape) its key is not in b.
      Split parts = split(b, a.key);
      diff(a.left, parts.below(), sink);
      sink.change(a.key, a.value, null);
      diff(a.right, parts.above(), sink);
    } else {
      Split parts = split(a, b.key);
      diff(parts.below(), b.left, sink);
      sink.change(b.key, null, b.value);
      diff(parts.above(), b.right, sink);
    }
  }

  static void forEach(Node node, BiConsumer<String, String> action) {
    // Iterative so that a degenerate tree cannot overflow the stack.
    Deque<Node> stack = new ArrayDeque<>();
    Node current = node;
    while (current != null || !stack.isEmpty()) {
      while (current != null) {
        stack.push(current);
        current = current.left;
      }
      current = stack.pop();
      action.accept(current.key, current.value);
      current = current.right;
    }
  }

  /** In-order iterator over the nodes of a tree. */
  static Iterator<Node> iterator(Node root) {
    return new Iterator<>() {
      private final Deque<Node> stack = new ArrayDeque<>();

      {
        pushLeft(root);
      }

      private void pushLeft(Node n) {
        for (Node x = n; x != null; x = x.left) {
          stack.push(x);
        }
      }

      @Override
      public boolean hasNext() {
        return !stack.isEmpty();
      }

      @Override
      public Node next() {
        if (stack.isEmpty()) {
          throw new NoSuchElementException();
        }
        Node n = stack.pop();
        pushLeft(n.right);
        return n;
      }
    };
  }

  /** Depth of the tree; for tests of balance. */
  static int height(Node node) {
    return node == null ? 0 : 1 + Math.max(height(node.left), height(node.right));
  }
}
