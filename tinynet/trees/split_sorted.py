"""placeholder"""
def eligible(data, sizes, m, C):
    return None
