package dev.triggergate.validation;

import io.vertx.core.json.JsonObject;

/** The {@code pattern} of each string field the batch schema constrains with one. */
final class SchemaPatterns {
  private SchemaPatterns() {}

  /**
   * The pattern of {@code email}, {@code phone}, {@code profile_id} (the data item fields) or
   * {@code attach} (a file's {@code data}).
   */
  static String of(JsonObject document, String field) {
    JsonObject defs = document.getJsonObject("$defs");
    return switch (field) {
      case "email" -> defs.getJsonObject("email").getString("pattern");
      case "phone" -> defs.getJsonObject("phone").getString("pattern");
      case "attach" ->
          defs.getJsonObject("file")
              .getJsonObject("properties")
              .getJsonObject("data")
              .getString("pattern");
      default ->
          document
              .getJsonObject("properties")
              .getJsonObject("data")
              .getJsonObject("items")
              .getJsonObject("properties")
              .getJsonObject(field)
              .getString("pattern");
    };
  }
}
