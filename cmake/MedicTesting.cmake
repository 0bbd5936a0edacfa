# Test helpers. Every test carries a CTest label:
#   unit         pure logic, fakes and a simulated clock; runs anywhere in seconds
#   integration  a real Docker engine (skips with a clear message when none answers, unless
#                MEDIC_REQUIRE_DOCKER=1 — CI sets it — in which case a missing engine fails)
#   e2e          the built binary with real peers (compose, promtool, browser, tmux)

# medic_test(NAME LABEL SOURCES <files...> LIBS <targets...>)
function(medic_test name label)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    MEDIC_SOURCE_DIR="${PROJECT_SOURCE_DIR}" MEDIC_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(props LABELS ${label})
  if(NOT label STREQUAL "unit")
    list(APPEND props FIXTURES_REQUIRED testimage)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 PROPERTIES ${props})
endfunction()
