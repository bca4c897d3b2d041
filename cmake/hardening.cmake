# Warnings as errors and the hardening flags of issue #2 / security-requirements A-11.
add_compile_options(-Wall -Wextra -Werror -Wpedantic -Wshadow -Wnon-virtual-dtor
                    -Wconversion -Wno-sign-conversion
                    -fstack-protector-strong -fstack-clash-protection -fcf-protection)
add_link_options(-Wl,-z,relro,-z,now -Wl,-z,noexecstack -pie)

if(PRAXIS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
else()
  # _FORTIFY_SOURCE needs optimisation; the sanitizer build replaces it.
  add_compile_options(-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
endif()
