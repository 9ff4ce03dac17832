package dev.triggergate.intake;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonTokenId;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.triggergate.api.ApiError;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes a JSON body into the tree the schema checks, refusing what another JSON parser could read
 * differently: invalid UTF-8, a byte-order mark, comments, duplicate keys, {@code \u0000} and
 * unpaired surrogates. Altcraft sits behind the gateway; a body the two could read apart would let
 * a request pass the checks as one thing and reach Altcraft as another.
 *
 * <p>Tokenizing is Jackson's; this class only builds the tree. The files of {@code attach} are the
 * one exception to building it the plain way: their base64 data URIs are by far the largest
 * strings, so they are taken from the body's bytes directly (one byte per character) instead of
 * through Jackson's character buffers (two bytes per character, then copied again).
 */
final class JsonBody {
  /** Deeper than any start_batch needs; deep enough for any content a template takes. */
  static final int MAX_DEPTH = 64;

  private final JsonFactory factory;

  /**
   * @param maxBodyBytes the largest body: no string in it can be longer, so Jackson's own string
   *     limit never speaks before the body cap does
   */
  JsonBody(long maxBodyBytes) {
    int longest = (int) Math.min(maxBodyBytes, Integer.MAX_VALUE);
    this.factory =
        JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxStringLength(longest)
                    .maxDocumentLength(maxBodyBytes)
                    .build())
            .build();
  }

  /** Decodes the body; anything malformed or ambiguous is a 400 that says what. */
  JsonObject decode(Buffer body) {
    ByteBuf bytes = ((BufferInternal) body).getByteBuf();
    Utf8.Scan scan = Utf8.check(bytes);
    if (bytes.readableBytes() >= 3
        && bytes.getUnsignedByte(bytes.readerIndex()) == 0xEF
        && bytes.getUnsignedByte(bytes.readerIndex() + 1) == 0xBB
        && bytes.getUnsignedByte(bytes.readerIndex() + 2) == 0xBF) {
      throw ApiError.invalid("malformed JSON: a byte-order mark before the body");
    }
    byte[] array = readableArray(bytes);
    int offset = bytes.hasArray() ? bytes.arrayOffset() + bytes.readerIndex() : 0;
    try (JsonParser parser = factory.createParser(array, offset, bytes.readableBytes())) {
      Tree tree =
          new Tree(parser, array, offset, offset + bytes.readableBytes(), scan.hasEscapes());
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw ApiError.invalid("malformed JSON: the body is empty");
      }
      Object value = tree.value(0, false);
      if (parser.nextToken() != null) {
        throw ApiError.invalid("malformed JSON: more after the end of the body's value");
      }
      if (value instanceof Map<?, ?> map) {
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) map;
        return new JsonObject(fields);
      }
      throw ApiError.invalid("body must be a JSON object, got " + kindOf(value));
    } catch (JsonProcessingException e) {
      throw ApiError.invalid("malformed JSON: " + describe(e));
    } catch (IOException e) {
      throw ApiError.invalid("malformed JSON: " + e.getMessage());
    }
  }

  private static byte[] readableArray(ByteBuf bytes) {
    if (bytes.hasArray()) {
      return bytes.array();
    }
    byte[] copy = new byte[bytes.readableBytes()];
    bytes.getBytes(bytes.readerIndex(), copy);
    return copy;
  }

  /** One body's tree, built from Jackson's tokens. */
  private static final class Tree {
    private final JsonParser parser;
    private final byte[] array;
    private final int offset;
    private final int limit;
    private final boolean escapes;

    /** Whether the walk is inside the top-level {@code attach} array. */
    private boolean inAttach;

    Tree(JsonParser parser, byte[] array, int offset, int limit, boolean escapes) {
      this.parser = parser;
      this.array = array;
      this.offset = offset;
      this.limit = limit;
      this.escapes = escapes;
    }

    /**
     * The value at the parser's current token.
     *
     * @param depth 0 for the body itself
     * @param fileData whether this is the {@code data} of an {@code attach} file
     */
    Object value(int depth, boolean fileData) throws IOException {
      switch (parser.currentTokenId()) {
        case JsonTokenId.ID_START_OBJECT:
          return object(depth);
        case JsonTokenId.ID_START_ARRAY:
          return array(depth);
        case JsonTokenId.ID_STRING:
          return fileData ? fileData() : checked(parser.getText());
        case JsonTokenId.ID_NUMBER_INT:
          return parser.getNumberValue();
        case JsonTokenId.ID_NUMBER_FLOAT:
          return finite(parser.getNumberValue());
        case JsonTokenId.ID_TRUE:
          return Boolean.TRUE;
        case JsonTokenId.ID_FALSE:
          return Boolean.FALSE;
        case JsonTokenId.ID_NULL:
          return null;
        default:
          throw ApiError.invalid("malformed JSON: unexpected " + parser.currentToken());
      }
    }

    private Map<String, Object> object(int depth) throws IOException {
      Map<String, Object> fields = new LinkedHashMap<>();
      boolean attachItem = depth == 2 && inAttach;
      for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
        checked(name);
        parser.nextToken();
        boolean enteringAttach = depth == 0 && name.equals("attach");
        if (enteringAttach) {
          inAttach = true;
        }
        fields.put(name, value(depth + 1, attachItem && name.equals("data")));
        if (enteringAttach) {
          inAttach = false;
        }
      }
      return fields;
    }

    private List<Object> array(int depth) throws IOException {
      List<Object> items = new ArrayList<>();
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        items.add(value(depth + 1, false));
      }
      return items;
    }

    /**
     * {@code 1e400} is valid JSON but no double: it would become Infinity here and mean something
     * else to every parser behind the gateway.
     */
    private static Number finite(Number number) {
      if (number instanceof Double d && d.isInfinite()) {
        throw ApiError.invalid("malformed JSON: a number out of the range of a double");
      }
      return number;
    }

    /**
     * A file's data URI: base64 text, plain ASCII without escapes, read from the body's bytes as
     * they are. Any other string there takes Jackson's way.
     */
    private Object fileData() throws IOException {
      // The token starts at its opening quote; Jackson has not decoded the string yet.
      long start = parser.currentTokenLocation().getByteOffset();
      if (start >= 0) {
        int from = offset + (int) start + 1;
        int end = from;
        while (end < limit && array[end] != '"' && array[end] != '\\' && array[end] > 0) {
          end++;
        }
        if (end < limit && array[end] == '"') {
          // Left undecoded, the string is skipped by Jackson's next step, which still checks it.
          return new String(array, from, end - from, StandardCharsets.ISO_8859_1);
        }
      }
      return checked(parser.getText());
    }

    /**
     * A string that held escapes may have turned into {@code U+0000} or half a surrogate pair: both
     * are refused, as parsers downstream truncate or replace them.
     */
    private String checked(String text) {
      if (!escapes) {
        return text;
      }
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == 0) {
          throw ApiError.invalid("malformed JSON: a string holds U+0000");
        }
        if (Character.isHighSurrogate(c)
            && (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1)))) {
          throw ApiError.invalid("malformed JSON: a string holds an unpaired surrogate");
        }
        if (Character.isLowSurrogate(c)
            && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)))) {
          throw ApiError.invalid("malformed JSON: a string holds an unpaired surrogate");
        }
      }
      return text;
    }
  }

  private static String kindOf(Object value) {
    if (value instanceof List) {
      return "an array";
    }
    if (value == null) {
      return "null";
    }
    return value instanceof String ? "a string" : "a " + value.getClass().getSimpleName();
  }

  /** Jackson's message without the echo of the source, with the position it names. */
  private static String describe(JsonProcessingException e) {
    String message = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage();
    int newline = message.indexOf('\n');
    if (newline >= 0) {
      message = message.substring(0, newline);
    }
    if (e.getLocation() != null) {
      message +=
          " (line: "
              + e.getLocation().getLineNr()
              + ", column: "
              + e.getLocation().getColumnNr()
              + ")";
    }
    return message;
  }
}
