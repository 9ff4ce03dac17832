package dev.triggergate.api;

/** The two answer formats Altcraft speaks, chosen by the {@code format} field or query. */
public enum ResponseFormat {
  JSON("application/json; charset=utf-8"),
  XML("application/xml; charset=utf-8");

  private final String contentType;

  ResponseFormat(String contentType) {
    this.contentType = contentType;
  }

  public String contentType() {
    return contentType;
  }

  /** The format a {@code format} value names, or null when it names none. */
  public static ResponseFormat named(String value) {
    if ("json".equals(value)) {
      return JSON;
    }
    if ("xml".equals(value)) {
      return XML;
    }
    return null;
  }
}
