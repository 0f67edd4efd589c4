"""Kazakhstan's IIN for tests: the check digit of the 11 digits before it (weights 1..11, then
3..11,1,2 when the first sum gives 10; no IIN when the second does too)."""


def iin(yymmdd, century, serial):
    """A valid IIN for a birth date (YYMMDD), century/sex digit and serial; None if none exists."""
    digits = [int(c) for c in f"{yymmdd}{century}{serial:04d}"]
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        check_digit = sum(d * w for d, w in zip(digits, weights)) % 11
        if check_digit != 10:
            return "".join(map(str, digits)) + str(check_digit)
    return None
