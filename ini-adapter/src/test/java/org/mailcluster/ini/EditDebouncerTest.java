package org.mailcluster.ini;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EditDebouncerTest {
  final EditDebouncer debouncer = new EditDebouncer(100, 1000);

  @Test
  void file_is_due_after_a_quiet_period_since_its_last_event() {
    debouncer.mark("a.ini", 0);
    debouncer.mark("a.ini", 60);
    assertEquals(List.of(), debouncer.takeDue(150));
    assertEquals(List.of("a.ini"), debouncer.takeDue(160));
    assertTrue(debouncer.isEmpty());
    assertEquals(List.of(), debouncer.takeDue(10_000));
  }

  @Test
  void file_written_without_pause_is_due_after_the_maximum_wait() {
    long t = 0;
    for (; t < 1000; t += 50) {
      debouncer.mark("busy.ini", t);
      assertEquals(List.of(), debouncer.takeDue(t));
    }
    debouncer.mark("busy.ini", t);
    assertEquals(List.of("busy.ini"), debouncer.takeDue(t));
  }

  @Test
  void files_are_due_independently_in_order_of_first_event() {
    debouncer.mark("b.ini", 0);
    debouncer.mark("a.ini", 10);
    debouncer.mark("c.ini", 90);
    assertEquals(List.of("b.ini", "a.ini"), debouncer.takeDue(110));
    assertEquals(List.of("c.ini"), debouncer.takeDue(190));
  }
}
