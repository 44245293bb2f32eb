package org.mailcluster.config;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The one Jackson mapper of this package; Jackson never appears in a public signature. */
final class ConfigJson {
  static final JsonMapper MAPPER =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES).build();

  private ConfigJson() {}
}
