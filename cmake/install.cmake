# `cmake --install build --prefix P`: the dnnc binary, its man pages and shell completions, and libdnnc
# (the static area libraries, formats and passes) with headers and a CMake package, so that a project
# can `find_package(dnnc)` and `target_link_libraries(app dnnc::dnnc)`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS dnnc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${DNNC_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${DNNC_COMPLETIONS_DIR}/dnnc.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME dnnc)
install(FILES ${DNNC_COMPLETIONS_DIR}/_dnnc DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
install(FILES ${DNNC_COMPLETIONS_DIR}/dnnc.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

# The library: every area (lib/CMakeLists.txt), formats, passes, and dnnc::dnnc, the one to link.
# Exported names drop the prefix: dnnc_prune is dnnc::prune.
get_property(dnnc_areas GLOBAL PROPERTY DNNC_AREA_TARGETS)
set(dnnc_library_targets ${dnnc_areas} dnnc_formats dnnc_lib dnnc_passes)
foreach(target ${dnnc_library_targets})
  string(REPLACE "dnnc_" "" name ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
endforeach()
add_library(dnnc_library INTERFACE)
target_link_libraries(dnnc_library INTERFACE dnnc_passes)
set_target_properties(dnnc_library PROPERTIES EXPORT_NAME dnnc)

# Headers keep their source paths (#include "lib/ir/model.h"), under include/dnnc.
set(DNNC_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/dnnc)
target_include_directories(dnnc_support INTERFACE $<INSTALL_INTERFACE:${DNNC_INSTALL_INCLUDEDIR}>)
# The headers are C++20; and a consumer must compile Eigen with the same vector ISA as the library, or
# Eigen's alignment (16 or 32/64 bytes) differs between the two sides of inline code (an ODR violation).
target_compile_features(dnnc_support INTERFACE cxx_std_20)
if(DNNC_NATIVE)
  target_compile_options(dnnc_support INTERFACE $<INSTALL_INTERFACE:-march=native>)
endif()
foreach(dir lib formats passes)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/${dir}/ DESTINATION ${DNNC_INSTALL_INCLUDEDIR}/${dir}
    FILES_MATCHING PATTERN "*.h" PATTERN "*.def")
endforeach()

install(TARGETS ${dnnc_library_targets} dnnc_library EXPORT dnncTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
set(DNNC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/dnnc)
install(EXPORT dnncTargets NAMESPACE dnnc:: DESTINATION ${DNNC_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/dnncConfig.cmake.in ${CMAKE_BINARY_DIR}/dnncConfig.cmake
  INSTALL_DESTINATION ${DNNC_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/dnncConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/dnncConfig.cmake ${CMAKE_BINARY_DIR}/dnncConfigVersion.cmake
  DESTINATION ${DNNC_CMAKE_DIR})

# What an install needs built (the Makefile's `install` builds only this, not the tests).
add_custom_target(dnnc_installable DEPENDS dnnc dnnc_docs ${dnnc_library_targets})
