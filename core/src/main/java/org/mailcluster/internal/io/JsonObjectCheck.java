package org.mailcluster.internal.io;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks that a text is exactly one JSON object, for the sibling modules that must refuse other
 * payloads. It lives here because core carries its own, relocated copy of Jackson: a sibling that
 * used Jackson directly would bring a second copy onto the host's class path, and with it the
 * {@code jackson-annotations} version conflict that core's copy avoids.
 */
public final class JsonObjectCheck {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** What is wrong with a text that should be one JSON object. */
  public enum Kind {
    /** It is JSON, but its first value is not an object. */
    NOT_AN_OBJECT,
    /** It begins with a whole object, and more follows it. */
    MORE_FOLLOWS,
    /** It is not JSON at all. */
    NOT_JSON
  }

  /**
   * A text that is not one JSON object.
   *
   * @param kind what is wrong
   * @param detail for {@link Kind#NOT_JSON}, the parser's reason with the line and column, e.g.
   *     {@code "Unexpected end-of-input at line 1, column 9"}; empty otherwise
   */
  public record Problem(Kind kind, String detail) {
    /** Checks the parts. */
    public Problem {
      requireNonNull(kind, "kind");
      requireNonNull(detail, "detail");
    }
  }

  private JsonObjectCheck() {}

  /** Returns what is wrong with {@code text}, or empty if it is exactly one JSON object. */
  public static Optional<Problem> problem(String text) {
    requireNonNull(text, "text");
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return Optional.of(new Problem(Kind.NOT_AN_OBJECT, ""));
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        return Optional.of(new Problem(Kind.MORE_FOLLOWS, ""));
      }
      return Optional.empty();
    } catch (JacksonException e) {
      String why = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage();
      // Jackson adds where a bracket began, in its own notation: the line and column say enough.
      int aside = why.indexOf(" (start marker");
      why = aside < 0 ? why : why.substring(0, aside);
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      return Optional.of(new Problem(Kind.NOT_JSON, why + where));
    }
  }
}
