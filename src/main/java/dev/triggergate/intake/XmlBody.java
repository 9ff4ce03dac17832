package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Turns an XML start_batch body into the same JSON object a JSON body gives (SPEC §3 "XML form").
 *
 * <p>The top-level field types come from the schema: array fields ({@code data}, {@code attach})
 * are arrays even with one element, integer and boolean fields become numbers and booleans, and
 * everything else is text. A value that does not convert stays text, so the schema names it.
 * DOCTYPE declarations and entity references are refused: the parser never fetches or expands them
 * (no XXE, no entity expansion bombs).
 */
public final class XmlBody {
  private static final int MAX_DEPTH = 32;

  private final XMLInputFactory factory;
  private final Map<String, String> fieldTypes;

  /**
   * @param schema the start_batch schema, whose top-level {@code properties} give field types
   */
  public XmlBody(JsonObject schema) {
    this.factory = XMLInputFactory.newFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
    factory.setProperty(XMLInputFactory.IS_COALESCING, true);
    this.fieldTypes = topLevelTypes(schema);
  }

  private static Map<String, String> topLevelTypes(JsonObject schema) {
    Map<String, String> types = new HashMap<>();
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    for (String name : properties.fieldNames()) {
      Object type = properties.getJsonObject(name).getValue("type");
      if (type instanceof String single) {
        types.put(name, single);
      }
    }
    return types;
  }

  /** Decodes the body; malformed or hostile XML is a 400 that says what is wrong. */
  public JsonObject decode(Buffer body) {
    ByteBuf bytes = ((BufferInternal) body).getByteBuf();
    // The XML parser would decode other encodings, or replace what is not UTF-8: the check comes
    // first, and an encoding declared as anything else is refused (SPEC §2: UTF-8 only).
    Utf8.check(bytes);
    XMLStreamReader reader = null;
    try {
      reader = factory.createXMLStreamReader(new ByteBufInputStream(bytes.duplicate()), "UTF-8");
      String declared = reader.getCharacterEncodingScheme();
      if (declared != null && !declared.equalsIgnoreCase("UTF-8")) {
        throw ApiError.invalid("XML must be UTF-8, the body declares " + declared);
      }
      while (reader.hasNext()) {
        int event = reader.next();
        if (event == XMLStreamConstants.DTD) {
          throw ApiError.invalid("XML DOCTYPE declarations are not allowed");
        }
        if (event == XMLStreamConstants.START_ELEMENT) {
          JsonObject root = new JsonObject(element(reader, 1, true));
          trailing(reader);
          return root;
        }
      }
      throw ApiError.invalid("malformed XML: no root element");
    } catch (XMLStreamException e) {
      throw ApiError.invalid("malformed XML: " + describe(e));
    } finally {
      close(reader);
    }
  }

  /**
   * Reads the children of the element the reader stands on. Returns a map when the element has
   * child elements, else its text.
   */
  private Object value(XMLStreamReader reader, int depth, boolean topLevel)
      throws XMLStreamException {
    if (depth > MAX_DEPTH) {
      throw ApiError.invalid("XML nested deeper than " + MAX_DEPTH + " levels");
    }
    Map<String, Object> children = null;
    StringBuilder text = new StringBuilder();
    while (true) {
      int event = reader.next();
      switch (event) {
        case XMLStreamConstants.START_ELEMENT -> {
          if (children == null) {
            children = new LinkedHashMap<>();
          }
          String name = reader.getLocalName();
          Object child = topLevel ? field(reader, name, depth) : value(reader, depth + 1, false);
          add(children, name, child, topLevel && "array".equals(fieldTypes.get(name)));
        }
        case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE ->
            text.append(reader.getText());
        case XMLStreamConstants.ENTITY_REFERENCE ->
            throw ApiError.invalid(
                "XML entity references are not allowed: &" + reader.getLocalName() + ";");
        case XMLStreamConstants.DTD ->
            throw ApiError.invalid("XML DOCTYPE declarations are not allowed");
        case XMLStreamConstants.END_ELEMENT -> {
          if (children == null) {
            return text.toString();
          }
          if (!text.toString().isBlank()) {
            throw ApiError.invalid(
                "XML element <" + reader.getLocalName() + "> mixes text and child elements");
          }
          return children;
        }
        default -> {
          // Comments and processing instructions carry nothing for the batch.
        }
      }
    }
  }

  private Map<String, Object> element(XMLStreamReader reader, int depth, boolean topLevel)
      throws XMLStreamException {
    Object value = value(reader, depth, topLevel);
    if (value instanceof String text) {
      if (!text.isBlank()) {
        throw ApiError.invalid("XML root element holds text, not fields");
      }
      return new LinkedHashMap<>();
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) value;
    return map;
  }

  /** A top-level field: its text becomes the type the schema expects there. */
  private Object field(XMLStreamReader reader, String name, int depth) throws XMLStreamException {
    Object value = value(reader, depth + 1, false);
    if (!(value instanceof String text)) {
      return value;
    }
    String type = fieldTypes.getOrDefault(name, "string");
    String trimmed = text.trim();
    return switch (type) {
      case "integer" -> parseInteger(trimmed, text);
      case "number" -> parseNumber(trimmed, text);
      case "boolean" ->
          trimmed.equals("true") ? Boolean.TRUE : trimmed.equals("false") ? Boolean.FALSE : text;
      case "object" -> trimmed.isEmpty() ? new LinkedHashMap<String, Object>() : text;
      default -> text;
    };
  }

  private static void add(Map<String, Object> into, String name, Object value, boolean array) {
    Object existing = into.get(name);
    if (existing == null && !into.containsKey(name)) {
      if (array) {
        List<Object> list = new ArrayList<>();
        list.add(value);
        into.put(name, list);
      } else {
        into.put(name, value);
      }
      return;
    }
    if (existing instanceof RepeatedList list) {
      list.add(value);
    } else if (array) {
      @SuppressWarnings("unchecked")
      List<Object> list = (List<Object>) existing;
      list.add(value);
    } else {
      RepeatedList list = new RepeatedList();
      list.add(existing);
      list.add(value);
      into.put(name, list);
    }
  }

  /** A list made because an element repeated, told apart from a list field's own list. */
  private static final class RepeatedList extends ArrayList<Object> {}

  private static Object parseInteger(String trimmed, String original) {
    try {
      return Long.parseLong(trimmed);
    } catch (NumberFormatException e) {
      return original;
    }
  }

  private static Object parseNumber(String trimmed, String original) {
    try {
      return Double.parseDouble(trimmed);
    } catch (NumberFormatException e) {
      return original;
    }
  }

  private static void trailing(XMLStreamReader reader) throws XMLStreamException {
    while (reader.hasNext()) {
      if (reader.next() == XMLStreamConstants.START_ELEMENT) {
        throw ApiError.invalid("malformed XML: more than one root element");
      }
    }
  }

  private static String describe(XMLStreamException e) {
    String message = e.getMessage() == null ? "unreadable" : e.getMessage();
    // The JDK prefixes "ParseError at [row,col]:[r,c]\nMessage: "; keep the position and message.
    return message.replace("\n", " ").replace("Message: ", "");
  }

  private static void close(XMLStreamReader reader) {
    if (reader != null) {
      try {
        reader.close();
      } catch (XMLStreamException ignored) {
        // Nothing was held open: the input is a byte array.
      }
    }
  }
}
