package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.api.ResponseFormat;
import dev.triggergate.engine.Matching;
import dev.triggergate.engine.StartBatch;
import dev.triggergate.validation.BatchSchema;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a body into a {@link StartBatch}: decode (JSON or XML), find the token, check the schema
 * and the item cap. Pure and thread-safe, so large bodies can run it on a worker thread.
 */
public final class BatchReader {
  private static final byte[] ATTACH =
      "attach".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private final BatchSchema schema;
  private final JsonBody json;
  private final XmlBody xml;
  private final long bodyMaxBytes;
  private final int maxItems;
  private final List<String> integerFields;

  /**
   * @param bodyMaxBytes the cap for a body without files; the larger cap for bodies with files was
   *     enforced while the body streamed in
   * @param maxBodyWithFilesBytes the cap for a body with files, the longest any string can be
   * @param maxItems the cap on {@code data} items, 0 for none
   */
  public BatchReader(
      BatchSchema schema, long bodyMaxBytes, long maxBodyWithFilesBytes, int maxItems) {
    this.schema = schema;
    this.json = new JsonBody(Math.max(bodyMaxBytes, maxBodyWithFilesBytes));
    this.xml = new XmlBody(schema.document());
    this.integerFields = integerFields(schema.document());
    this.bodyMaxBytes = bodyMaxBytes;
    this.maxItems = maxItems;
  }

  /**
   * Reads one request.
   *
   * @param request what the request carried besides the body
   * @throws ApiError the 400 or 401 to answer, in the format the body asked for where it said
   */
  public StartBatch read(Buffer body, BodyKind kind, RequestFacts request) {
    // Over the plain cap only a batch with files may pass; one that never names "attach" cannot
    // have any, and a malformed one cannot either, so neither is worth decoding further.
    boolean oversized = body.length() > bodyMaxBytes;
    if (oversized && !mentionsAttach(body)) {
      throw ApiError.tooLarge();
    }
    JsonObject document;
    try {
      document = kind == BodyKind.XML ? xml.decode(body) : json.decode(body);
    } catch (ApiError malformed) {
      throw oversized ? ApiError.tooLarge() : malformed;
    }
    ResponseFormat format = formatOf(document, request.queryFormat());
    try {
      if (oversized && !hasFiles(document)) {
        throw ApiError.tooLarge();
      }
      String token = tokenOf(document, request);
      requireIntegerLiterals(document);
      schema.check(document);
      JsonArray items = document.getJsonArray("data");
      if (maxItems > 0 && items.size() > maxItems) {
        throw ApiError.invalid(
            "too many items in data: " + items.size() + " (at most " + maxItems + ")");
      }
      return new StartBatch(
          request.requestId(),
          token,
          document.getLong("trigger_id"),
          Matching.fromWire(document.getString("matching")),
          document.getString("field_name"),
          items,
          format,
          body,
          request.contentType(),
          request.origin());
    } catch (ApiError error) {
      throw error.inFormat(format);
    }
  }

  /**
   * JSON Schema counts {@code 8.0} and {@code 8e0} as integers, but they decode to a double, which
   * holds integers exactly only up to 2^53 and is cut at 2^63: an integer field must be written as
   * one, as Altcraft reads it into a 64-bit integer.
   */
  private void requireIntegerLiterals(JsonObject document) {
    for (String field : integerFields) {
      Object value = document.getValue(field);
      if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
        throw ApiError.invalid(
            "/" + field + ": must be an integer, without a fraction or exponent");
      }
    }
  }

  private static List<String> integerFields(JsonObject schema) {
    List<String> fields = new ArrayList<>();
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    for (String name : properties.fieldNames()) {
      if ("integer".equals(properties.getJsonObject(name).getValue("type"))) {
        fields.add(name);
      }
    }
    return List.copyOf(fields);
  }

  private static boolean mentionsAttach(Buffer body) {
    byte[] word = ATTACH;
    int last = body.length() - word.length;
    outer:
    for (int i = 0; i <= last; i++) {
      for (int j = 0; j < word.length; j++) {
        if (body.getByte(i + j) != word[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** Whether the batch carries files: only then may it use the larger body cap (SPEC §6). */
  private static boolean hasFiles(JsonObject document) {
    return document.getValue("attach") instanceof JsonArray attach && !attach.isEmpty();
  }

  private static ResponseFormat formatOf(JsonObject document, ResponseFormat queryFormat) {
    Object named = document.getValue("format");
    ResponseFormat format = named instanceof String name ? ResponseFormat.named(name) : null;
    if (format != null) {
      return format;
    }
    return queryFormat == null ? ResponseFormat.JSON : queryFormat;
  }

  /** Body field first, then {@code Authorization: Bearer}, then the query (SPEC §2). */
  private static String tokenOf(JsonObject document, RequestFacts request) {
    Object inBody = document.getValue("token");
    if (inBody != null) {
      // A token of the wrong type or empty is a schema violation, reported as such.
      return inBody instanceof String text ? text : null;
    }
    if (request.headerToken() != null) {
      return request.headerToken();
    }
    if (request.queryToken() != null) {
      return request.queryToken();
    }
    throw ApiError.of(
        ErrorCode.TOKEN_REQUIRED,
        "no token: send it in the body field \"token\" or as Authorization: Bearer <token>");
  }
}
