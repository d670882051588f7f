package rlhf4j.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A record component whose own keys sit in the enclosing section rather than under a key of its own: the settings
 * every training stage shares ({@link Optimization}) are one record in the code and plain keys in the YAML
 * ({@code ppo.learning_rate}, not {@code ppo.optimization.learning_rate}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Inline {
}
