# What `medic` installs and the Debian package (CPack DEB) made from it: the binary, the systemd
# unit, the man page, the shell completions, the docs and the examples. scripts/package.sh builds
# it; tests/integration/packaging checks and installs it.
#
# The man page, the completions and the unit are not kept in the repo: the build makes them with
# the freshly built medic (`medic man`, `medic completion`, `medic install-service --dry-run`), so
# they say exactly what `medic --help` and `medic install-service` say.

set(MEDIC_DIST_DIR ${PROJECT_BINARY_DIR}/dist)
set(run_to_file ${PROJECT_SOURCE_DIR}/cmake/RunToFile.cmake)
set(medic_dist_files
    ${MEDIC_DIST_DIR}/man/man1/medic.1 ${MEDIC_DIST_DIR}/man/man1/medic.1.gz
    ${MEDIC_DIST_DIR}/completions/medic ${MEDIC_DIST_DIR}/completions/_medic
    ${MEDIC_DIST_DIR}/medic.service)
add_custom_command(
  OUTPUT ${medic_dist_files}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${MEDIC_DIST_DIR}/man/man1
          ${MEDIC_DIST_DIR}/completions
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${MEDIC_DIST_DIR}/man/man1/medic.1 -P ${run_to_file} --
          $<TARGET_FILE:medic> man
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${MEDIC_DIST_DIR}/man/man1/medic.1.gz -DGZIP=ON
          -P ${run_to_file} -- $<TARGET_FILE:medic> man
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${MEDIC_DIST_DIR}/completions/medic -P ${run_to_file} --
          $<TARGET_FILE:medic> completion bash
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${MEDIC_DIST_DIR}/completions/_medic -P ${run_to_file} --
          $<TARGET_FILE:medic> completion zsh
  # The packaged unit runs /usr/bin/medic with the default config search and state dir; it is
  # byte for byte what the installed `medic install-service --dry-run` prints (tested).
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${MEDIC_DIST_DIR}/medic.service -P ${run_to_file} --
          $<TARGET_FILE:medic> install-service --dry-run --binary /usr/bin/medic
  DEPENDS medic ${run_to_file}
  COMMENT "Generating the man page, completions and systemd unit from medic"
  VERBATIM)
add_custom_target(medic_dist ALL DEPENDS ${medic_dist_files})

# `ninja install` / cpack package the tree as built (scripts/package.sh builds first), so making a
# package never recompiles anything.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

include(GNUInstallDirs)
install(FILES ${MEDIC_DIST_DIR}/man/man1/medic.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${MEDIC_DIST_DIR}/completions/medic
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions)
install(FILES ${MEDIC_DIST_DIR}/completions/_medic
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/zsh/vendor-completions)
install(FILES ${MEDIC_DIST_DIR}/medic.service DESTINATION /lib/systemd/system)
install(FILES README.md docs/config.md docs/operations.md docs/api.md docs/metrics.md
              docs/openapi.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES examples/medic.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY examples/labels examples/config DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME medic)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "medic maintainers <medic@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "keeps the services on a Docker host alive, and proves it")
set(CPACK_PACKAGE_DESCRIPTION
    "medic detects exits, stops, unhealthy, hung and removed containers within a second or its
probe budget, repairs them (start/restart, recreate from a spec snapshot, roll back, escalate),
and backs every health statement with measured evidence. One binary: the daemon (medic watch,
run by the medic.service systemd unit) and the commands that talk to it.")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # medic_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The runtime libraries (libyaml-cpp, libsqlite3, libssl3, libfmt, libspdlog, libstdc++, ...) come
# from the binary's NEEDED entries, as Debian's own packages do it.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The unit needs an engine; which package provides it is the operator's choice. https probes and
# alert sinks verify peers against the system CA store that ca-certificates fills.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "docker.io | docker-ce, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker-compose")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
