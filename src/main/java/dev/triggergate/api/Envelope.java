package dev.triggergate.api;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Writes Altcraft's response envelope, success or error, as JSON or XML (SPEC §5). */
public final class Envelope {
  private static final String OK_TEXT = "Successful operation";

  /** Jackson's string escaper, into the builder: no generator per id. */
  private static final JsonStringEncoder JSON = JsonStringEncoder.getInstance();

  private Envelope() {}

  /** The success envelope listing the profiles the mailing was sent to. */
  public static Buffer success(List<String> profileIds, ResponseFormat format) {
    StringBuilder out = new StringBuilder(64 + profileIds.size() * 44);
    if (format == ResponseFormat.XML) {
      out.append("<xml><error>0</error><error_text>").append(OK_TEXT).append("</error_text>");
      for (String id : profileIds) {
        out.append("<result><profile_id>");
        escapeXml(id, out);
        out.append("</profile_id></result>");
      }
      out.append("</xml>");
    } else {
      out.append("{\"error\":0,\"error_text\":\"").append(OK_TEXT).append("\",\"result\":[");
      for (int i = 0; i < profileIds.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        out.append("{\"profile_id\":\"");
        JSON.quoteAsString(profileIds.get(i), out);
        out.append("\"}");
      }
      out.append("]}");
    }
    return Buffer.buffer(out.toString());
  }

  /** The error envelope; {@code errors} lists further violations when there are several. */
  public static Buffer error(ApiError error, ResponseFormat format) {
    ErrorCode code = error.code();
    if (format == ResponseFormat.XML) {
      StringBuilder out = new StringBuilder(128);
      out.append("<xml><error>").append(code.code()).append("</error><error_text>");
      escapeXml(code.text(), out);
      out.append("</error_text>");
      if (error.debug() != null) {
        out.append("<error_debug>");
        escapeXml(error.debug(), out);
        out.append("</error_debug>");
      }
      for (String detail : error.details()) {
        out.append("<errors>");
        escapeXml(detail, out);
        out.append("</errors>");
      }
      out.append("</xml>");
      return Buffer.buffer(out.toString());
    }
    JsonObject json = new JsonObject().put("error", code.code()).put("error_text", code.text());
    if (error.debug() != null) {
      json.put("error_debug", error.debug());
    }
    if (!error.details().isEmpty()) {
      json.put("errors", new JsonArray(List.copyOf(error.details())));
    }
    return json.toBuffer();
  }

  private static void escapeXml(String text, StringBuilder out) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&apos;");
        default -> {
          // XML 1.0 forbids most control characters even escaped; drop them.
          if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
            out.append(c);
          }
        }
      }
    }
  }
}
