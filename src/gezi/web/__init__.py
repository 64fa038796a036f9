"""gezi.web"""
