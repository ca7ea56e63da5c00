package org.mettle.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) parser and string quoter, enough for safetensors headers.
 *
 * <p>Values map to: object -> {@code LinkedHashMap<String,Object>} (document order), array -> {@code List<Object>},
 * string -> {@code String}, integer -> {@code Long} (or {@code BigInteger} when it does not fit a long, so that
 * callers can say "out of range" instead of silently rounding), other numbers -> {@code Double}, true/false ->
 * {@code Boolean}, null -> {@code null}. Duplicate object keys are an error.
 */
public final class Json {
    /** Nesting limit; safetensors headers nest three deep, so this only guards against hostile input. */
    static final int MAX_DEPTH = 64;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** A syntax error, with the character offset where it was found. */
    static final class ParseException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int position;
        private final String duplicateKey;
        private final int objectDepth;

        ParseException(String message, int position, String duplicateKey, int objectDepth) {
            super(message + " at character " + position);
            this.position = position;
            this.duplicateKey = duplicateKey;
            this.objectDepth = objectDepth;
        }

        int position() {
            return position;
        }

        /** The repeated key when this error is a duplicate key, else null. */
        String duplicateKey() {
            return duplicateKey;
        }

        /** Nesting depth of the object holding the duplicate key (1 = top-level object). */
        int objectDepth() {
            return objectDepth;
        }
    }

    /** Parses one JSON value for callers outside io; errors name the source and the character offset. */
    public static Object parse(String text, String source) {
        try {
            return parse(text);
        } catch (ParseException e) {
            throw new IllegalArgumentException(source + ": invalid JSON: " + e.getMessage(), e);
        }
    }

    /** Parses one JSON value; only whitespace may follow it. */
    static Object parse(String text) throws ParseException {
        Json p = new Json(text);
        p.skipWhitespace();
        Object value = p.readValue(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.error("unexpected '" + printable(text.charAt(p.pos)) + "' after the end of the JSON value");
        }
        return value;
    }

    /** The JSON string literal for s (quotes included); non-ASCII characters are written as they are. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** "object", "array", "string", "number", "boolean" or "null", for error messages. */
    static String typeName(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Map) {
            return "object";
        }
        if (value instanceof List) {
            return "array";
        }
        if (value instanceof String) {
            return "string";
        }
        if (value instanceof Boolean) {
            return "boolean";
        }
        return "number";
    }

    /** A short rendering of a parsed value for error messages: scalars as written, containers by type. */
    static String describe(Object value) {
        if (value instanceof String s) {
            return "the string " + quote(s.length() > 40 ? s.substring(0, 40) + "..." : s);
        }
        if (value instanceof Map || value instanceof List) {
            return "a JSON " + typeName(value) + (value instanceof List<?> l ? " of " + l.size() + " elements" : "");
        }
        return String.valueOf(value);
    }

    private Object readValue(int depth) throws ParseException {
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return readObject(depth + 1);
            case '[':
                return readArray(depth + 1);
            case '"':
                return readString();
            case 't':
                expectWord("true");
                return Boolean.TRUE;
            case 'f':
                expectWord("false");
                return Boolean.FALSE;
            case 'n':
                expectWord("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return readNumber();
                }
                throw error("unexpected '" + printable(c) + "', expected a value");
        }
    }

    private Map<String, Object> readObject(int depth) throws ParseException {
        checkDepth(depth);
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key in object");
            }
            int keyPos = pos;
            String key = readString();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = readValue(depth);
            if (map.containsKey(key)) {
                throw new ParseException("duplicate key " + quote(key), keyPos, key, depth);
            }
            map.put(key, value);
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return map;
            } else {
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private List<Object> readArray(int depth) throws ParseException {
        checkDepth(depth);
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(readValue(depth));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return list;
            } else {
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private String readString() throws ParseException {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw new ParseException("unterminated string", start, null, 0);
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("unescaped control character " + printable(c) + " in string");
            }
            if (c != '\\') {
                sb.append(c);
                pos++;
                continue;
            }
            int escapePos = pos;
            pos++;
            if (pos >= text.length()) {
                throw new ParseException("unterminated string", start, null, 0);
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    char unit = readHex4();
                    if (Character.isHighSurrogate(unit)) {
                        if (pos + 1 < text.length() && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
                            pos += 2;
                            char low = readHex4();
                            if (!Character.isLowSurrogate(low)) {
                                throw new ParseException("high surrogate \\u" + hex(unit)
                                        + " followed by \\u" + hex(low) + ", which is not a low surrogate", escapePos, null, 0);
                            }
                            sb.append(unit).append(low);
                        } else {
                            throw new ParseException("lone high surrogate \\u" + hex(unit), escapePos, null, 0);
                        }
                    } else if (Character.isLowSurrogate(unit)) {
                        throw new ParseException("lone low surrogate \\u" + hex(unit), escapePos, null, 0);
                    } else {
                        sb.append(unit);
                    }
                }
                default -> throw new ParseException("invalid escape '\\" + printable(e) + "'", escapePos, null, 0);
            }
        }
    }

    private char readHex4() throws ParseException {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) {
                throw new ParseException("invalid hex digit '" + printable(text.charAt(pos + i)) + "' in \\u escape", pos + i, null, 0);
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Object readNumber() throws ParseException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("expected a digit");
        }
        boolean integer = true;
        if (peek() == '.') {
            integer = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("expected a digit after '.'");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in exponent");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        String literal = text.substring(start, pos);
        if (!integer) {
            return Double.parseDouble(literal);
        }
        // At most 18 digits always fits a long; longer literals go through BigInteger.
        int digits = literal.length() - (literal.charAt(0) == '-' ? 1 : 0);
        if (digits <= 18) {
            return Long.parseLong(literal);
        }
        BigInteger big = new BigInteger(literal);
        return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }

    private void expectWord(String word) throws ParseException {
        if (!text.startsWith(word, pos)) {
            throw error("invalid literal, expected '" + word + "'");
        }
        pos += word.length();
    }

    private void expect(char c) throws ParseException {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private void checkDepth(int depth) throws ParseException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    /** The next character, or 0 at the end (0 never matches any token we look for). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                break;
            }
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private ParseException error(String message) {
        if (pos >= text.length() && !message.startsWith("unexpected end")) {
            message = "unexpected end of input: " + message;
        }
        return new ParseException(message, pos, null, 0);
    }

    private static String hex(char c) {
        return String.format("%04X", (int) c);
    }

    private static String printable(char c) {
        return c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }
}
