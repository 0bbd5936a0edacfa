# Test helpers. Every test carries a CTest label:
#   unit         pure logic, fakes and a simulated clock; runs anywhere in seconds
#   integration  a real Docker engine (skips with a clear message when none answers, unless
#                MEDIC_REQUIRE_DOCKER=1 — CI sets it — in which case a missing engine fails)
#   e2e          the built binary with real peers (compose, promtool, browser, tmux)

# medic_test(NAME LABEL SOURCES <files...> LIBS <targets...> [FIXTURE <name>] [TIMEOUT <s>])
# Non-unit tests require the fixture `testimage` unless FIXTURE names another one (one name only:
# gtest_discover_tests flattens a list-valued property, so tests needing several fixtures require
# one joined fixture instead). Every test may run the medic binary, so it is built first.
function(medic_test name label)
  cmake_parse_arguments(T "" "FIXTURE;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    MEDIC_SOURCE_DIR="${PROJECT_SOURCE_DIR}" MEDIC_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(props LABELS ${label})
  if(T_FIXTURE)
    list(APPEND props FIXTURES_REQUIRED ${T_FIXTURE})
  elseif(NOT label STREQUAL "unit")
    list(APPEND props FIXTURES_REQUIRED testimage)
  endif()
  if(T_TIMEOUT)
    list(APPEND props TIMEOUT ${T_TIMEOUT})
  endif()
  if(NOT label STREQUAL "unit" AND TARGET medic)
    add_dependencies(${name} medic)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 PROPERTIES ${props})
endfunction()
