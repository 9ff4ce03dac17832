package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import java.util.List;
import java.util.Locale;

/** The body syntaxes start_batch takes, read from the {@code Content-Type} header (SPEC §2). */
public enum BodyKind {
  JSON,
  XML;

  /**
   * The kind the request's {@code Content-Type} headers name: absent means JSON; a charset other
   * than UTF-8, any other media type, or two headers is a 400.
   */
  public static BodyKind of(List<String> contentTypes) {
    if (contentTypes.isEmpty()) {
      return JSON;
    }
    if (contentTypes.size() > 1) {
      throw ApiError.invalid("more than one Content-Type header");
    }
    String header = contentTypes.get(0);
    String[] parts = header.split(";", -1);
    String media = parts[0].trim().toLowerCase(Locale.ROOT);
    if (media.isEmpty() && !header.isBlank()) {
      throw ApiError.invalid("unsupported content type: parameters without a media type");
    }
    for (int i = 1; i < parts.length; i++) {
      String param = parts[i].trim();
      int eq = param.indexOf('=');
      if (eq < 0) {
        continue;
      }
      String name = param.substring(0, eq).trim();
      String value = param.substring(eq + 1).trim().replace("\"", "");
      if (name.equalsIgnoreCase("charset")
          && !value.equalsIgnoreCase("utf-8")
          && !value.equalsIgnoreCase("utf8")) {
        throw ApiError.invalid("unsupported charset \"" + value + "\": only UTF-8 is accepted");
      }
    }
    return switch (media) {
      case "application/json", "" -> JSON;
      case "application/xml", "text/xml" -> XML;
      default ->
          throw ApiError.invalid(
              "unsupported content type \""
                  + media
                  + "\": use application/json, application/xml or text/xml");
    };
  }
}
