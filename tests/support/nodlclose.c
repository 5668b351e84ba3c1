/* nodlclose.c - a test-only LD_PRELOAD shim that makes dlclose() a no-op.
 *
 * Stock lua5.4 dlcloses luadock/core.so when its state closes, before
 * LeakSanitizer runs at exit, so leaks from the module would be reported with
 * "<unknown module>" frames. Keeping the module mapped lets LSan name our
 * functions. It is preloaded only for lua.stock_lua in the sanitizer build and
 * must never be linked into luadock itself.
 */
int dlclose(void *handle);

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
