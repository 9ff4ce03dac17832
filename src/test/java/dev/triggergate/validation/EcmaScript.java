package dev.triggergate.validation;

import java.util.HashMap;
import java.util.Map;
import org.mozilla.javascript.Context;
import org.mozilla.javascript.EcmaError;
import org.mozilla.javascript.Function;
import org.mozilla.javascript.Scriptable;

/**
 * A real ECMAScript engine (Rhino, whose RegExp is its own, not java.util.regex) asked what
 * ECMA-262 says of a pattern: the expected answers of every pattern test come from here, never from
 * Java. One instance per test class, used from one thread.
 */
final class EcmaScript {
  private final Scriptable scope;
  private final Function compile;
  private final Map<String, Function> compiled = new HashMap<>();

  EcmaScript() {
    try (Context cx = enter()) {
      scope = cx.initStandardObjects();
      compile =
          (Function)
              cx.evaluateString(
                  scope,
                  "(function (p) { var r = new RegExp(p); return function (s) { return r.test(s); }; })",
                  "EcmaScript",
                  1,
                  null);
    }
  }

  /** {@code new RegExp(pattern).test(input)}: what JSON Schema's {@code pattern} means. */
  boolean test(String pattern, String input) {
    try (Context cx = enter()) {
      Function test =
          compiled.computeIfAbsent(
              pattern, p -> (Function) compile.call(cx, scope, scope, new Object[] {p}));
      return (Boolean) test.call(cx, scope, scope, new Object[] {input});
    }
  }

  /** Whether ECMAScript accepts the pattern's syntax at all. */
  boolean isPattern(String pattern) {
    try (Context cx = enter()) {
      compile.call(cx, scope, scope, new Object[] {pattern});
      return true;
    } catch (EcmaError syntaxError) {
      return false;
    }
  }

  private static Context enter() {
    Context cx = Context.enter();
    cx.setLanguageVersion(Context.VERSION_ES6);
    cx.setInterpretedMode(true);
    return cx;
  }
}
