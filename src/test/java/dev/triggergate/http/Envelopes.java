package dev.triggergate.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** Reads Altcraft envelopes, JSON or XML, out of responses. */
public final class Envelopes {
  private Envelopes() {}

  public static boolean isXml(HttpResponse<Buffer> response) {
    String type = response.getHeader("Content-Type");
    return type != null && type.startsWith("application/xml");
  }

  public static int errorCode(HttpResponse<Buffer> response) {
    if (isXml(response)) {
      return Integer.parseInt(xmlText(response, "error").get(0));
    }
    return response.bodyAsJsonObject().getInteger("error");
  }

  public static String errorDebug(HttpResponse<Buffer> response) {
    if (isXml(response)) {
      List<String> debug = xmlText(response, "error_debug");
      return debug.isEmpty() ? null : debug.get(0);
    }
    return response.bodyAsJsonObject().getString("error_debug");
  }

  public static List<String> profileIds(HttpResponse<Buffer> response) {
    if (isXml(response)) {
      return xmlText(response, "profile_id");
    }
    JsonObject envelope = response.bodyAsJsonObject();
    JsonArray result = envelope.getJsonArray("result");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < result.size(); i++) {
      ids.add(result.getJsonObject(i).getString("profile_id"));
    }
    return ids;
  }

  static List<String> xmlText(HttpResponse<Buffer> response, String element) {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      Document document =
          factory.newDocumentBuilder().parse(new ByteArrayInputStream(response.body().getBytes()));
      NodeList nodes = document.getElementsByTagName(element);
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < nodes.getLength(); i++) {
        texts.add(nodes.item(i).getTextContent());
      }
      return texts;
    } catch (Exception e) {
      throw new AssertionError("not an XML envelope: " + response.bodyAsString(), e);
    }
  }
}
