def read_wts(*a, **k): raise NotImplementedError
def write_wts(*a, **k): raise NotImplementedError
